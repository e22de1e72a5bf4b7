"""The deployment manifest: written atomically, read back the same, bad files refused clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.exceptions import ManifestError
from ledger.protocol.manifest import ContractDeployment, load_manifest, manifest_path, write_manifest

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TX_HASH = "0x" + "ab" * 32
ABI = [{"type": "function", "name": "exit", "inputs": [], "outputs": [], "stateMutability": "nonpayable"}]


def _contracts() -> dict[str, ContractDeployment]:
    return {
        "Consortium": ContractDeployment(address=ADDRESS, block=7, tx_hash=TX_HASH, abi=ABI),
        "Agreements": ContractDeployment(address=ADDRESS, block=3, tx_hash=TX_HASH, abi=[]),
    }


def test_written_manifest_reads_back_identically(tmp_path: Path) -> None:
    path = write_manifest(31337, "development", _contracts(), deployments_dir=tmp_path)
    assert path == tmp_path / "31337.json" == manifest_path(31337, tmp_path)
    manifest = load_manifest(path)
    assert manifest.chain_id == 31337
    assert manifest.contracts["Consortium"].abi == ABI
    assert manifest.start_block == 3
    assert not list(tmp_path.glob("*.tmp")), "no temporary file is left behind"


def test_rewrite_replaces_the_previous_manifest(tmp_path: Path) -> None:
    write_manifest(31337, "development", _contracts(), deployments_dir=tmp_path)
    only_one = {"Consortium": _contracts()["Consortium"]}
    path = write_manifest(31337, "development", only_one, deployments_dir=tmp_path)
    assert set(load_manifest(path).contracts) == {"Consortium"}


def test_missing_manifest_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"No deployment manifest at .*make demo"):
        load_manifest(tmp_path / "1.json")


def test_manifest_that_is_not_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "1.json"
    path.write_text('{"chain_id": 1,\n oops}')
    with pytest.raises(ManifestError, match=r"not valid JSON \(line 2"):
        load_manifest(path)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda data: data.pop("chain_id"), r"chain_id: Field required"),
        (
            lambda data: data["contracts"]["Consortium"].update(address="0x1234"),
            r"contracts\.Consortium\.address",
        ),
        (lambda data: data["contracts"]["Consortium"].update(block=-1), r"contracts\.Consortium\.block"),
        (lambda data: data.update(contracts={}), r"at least one contract"),
        (lambda data: data.update(surprise=True), r"surprise: Extra inputs are not permitted"),
    ],
)
def test_malformed_manifest_names_the_field(tmp_path: Path, mutate: object, problem: str) -> None:
    path = write_manifest(31337, "development", _contracts(), deployments_dir=tmp_path)
    data = json.loads(path.read_text())
    mutate(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=problem):
        load_manifest(path)
