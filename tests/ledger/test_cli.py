"""The `coopledger` command line: version, and a deployment manifest shown or refused clearly."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ledger import __version__
from ledger.cli import app
from ledger.protocol.manifest import ContractDeployment, write_manifest

runner = CliRunner()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"coopledger {__version__}"


def test_deployment_lists_contracts_with_address_and_block(tmp_path: Path) -> None:
    address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    contract = ContractDeployment(address=address, block=12, tx_hash="0x" + "00" * 32, abi=[])
    path = write_manifest(31337, "development", {"Consortium": contract}, deployments_dir=tmp_path)
    result = runner.invoke(app, ["deployment", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "Consortium" in result.stdout
    assert address in result.stdout
    assert "12" in result.stdout


def test_missing_manifest_exits_2_with_the_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deployment", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "No deployment manifest" in result.stderr
    assert "make demo" in result.stderr
