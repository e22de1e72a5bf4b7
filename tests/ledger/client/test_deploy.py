"""Deploying: the demo's development deploy (from wherever the checkout lives), and `coopledger deploy` to a
chain like a public one — another chain id, a base fee, a keystore account, a plan file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from eth_account import Account
from eth_typing import HexStr
from typer.testing import CliRunner, Result
from web3 import Web3
from web3.contract import Contract
from web3.types import Wei

from ledger.cli import app
from ledger.client.deployer import deploy_contract
from ledger.client.wallet import Wallet
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import ContractDeployment, load_manifest
from ledger.store import Store
from scripts.deploy import PROJECT
from tests.ledger.chain_fixtures import BUILD, Anvil, start_anvil

CHAIN_ID = 4242
PASSWORD = "correct horse battery staple"
runner = CliRunner()


def test_the_development_deploy_runs_from_a_folder_whose_path_holds_a_dot(
    anvil: Anvil, tmp_path: Path
) -> None:
    """`brownie run` turned a script's absolute path into a module name and failed under `/home/first.last/`;
    the deploy is a plain script now, run here from a copy of the checkout under such a folder."""
    checkout = tmp_path / "first.last" / ".cache" / "coopledger"
    shutil.copytree(PROJECT / "scripts", checkout / "scripts")
    shutil.copytree(BUILD, checkout / "build" / "contracts")
    finished = subprocess.run(
        [sys.executable, str(checkout / "scripts" / "deploy.py"), "--rpc-url", anvil.url],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    manifest = load_manifest(checkout / "deployments" / f"{anvil.w3.eth.chain_id}.json")
    assert set(manifest.contracts) == {
        "MockERC20",
        "Consortium",
        "Agreements",
        "ReferralRewards",
        "PartnerRatings",
    }
    assert (manifest.network, manifest.deployer) == ("development", next(iter(anvil.w3.eth.accounts)))
    head = anvil.w3.eth.block_number
    for record in manifest.contracts.values():
        receipt = anvil.w3.eth.get_transaction_receipt(HexStr(record.tx_hash))
        assert (receipt["contractAddress"], receipt["blockNumber"]) == (record.address, record.block)
        assert record.block <= head
    consortium = _contract(anvil.w3, manifest.contracts["Consortium"])
    assert consortium.functions.activeMemberCount().call() == 3
    assert consortium.functions.isApprovedAsset(manifest.contracts["MockERC20"].address).call()
    bound = _contract(anvil.w3, manifest.contracts["Agreements"]).functions.consortium().call()
    assert bound == consortium.address


def _contract(w3: Web3, record: ContractDeployment) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=record.abi)


@pytest.fixture
def public_like() -> Iterator[Anvil]:
    """A chain unlike the demo's: chain id 4242 and a base fee of 1 gwei."""
    anvil = start_anvil(None, None, "--chain-id", str(CHAIN_ID), base_fee=10**9)
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture
def operator(public_like: Anvil, tmp_path: Path) -> tuple[Path, Wallet]:
    """A keystore account funded with 10 ETH (no test-account shortcut signs anything)."""
    account = Account.create()
    keystore = tmp_path / "operator.keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, PASSWORD)))
    w3 = public_like.w3
    funded = w3.eth.send_transaction(
        {"from": next(iter(w3.eth.accounts)), "to": account.address, "value": Wei(10 * 10**18)}
    )
    w3.eth.wait_for_transaction_receipt(funded)
    return keystore, Wallet.from_keystore(keystore, PASSWORD)


def _plan(folder: Path, founders: Sequence[str], assets: Sequence[str], chain_id: int = CHAIN_ID) -> Path:
    """A plan file as an operator writes one: two founders, a 60 % quorum, a day to vote."""
    names = [("Harbour Bakery", "bakery", "harbour"), ("Dockside Plumbing", "plumbing", "harbour")]
    lines = [
        "[deploy]",
        'network = "harbour-coop"',
        f"chain_id = {chain_id}",
        "quorum_bps = 6000",
        "voting_period = 86400",
        f"assets = {json.dumps(list(assets))}",
    ]
    for address, (name, sector, region) in zip(founders, names, strict=True):
        lines += ["[[deploy.founders]]", f'address = "{address}"', f'name = "{name}"']
        lines += [f'sector = "{sector}"', f'region = "{region}"']
    path = folder / "plan.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _deploy(public_like: Anvil, keystore: Path, plan: Path, folder: Path, *extra: str) -> Result:
    return runner.invoke(
        app,
        [
            "deploy",
            "--plan",
            str(plan),
            "--rpc-url",
            public_like.url,
            "--keystore",
            str(keystore),
            "--build-dir",
            str(BUILD),
            "--deployments-dir",
            str(folder / "deployments"),
            "--yes",
            *extra,
        ],
        env={"COOPLEDGER_KEYSTORE_PASSWORD": PASSWORD, "COLUMNS": "200"},
    )


def test_deploy_to_a_chain_with_a_base_fee_signed_by_a_keystore_from_a_plan(
    public_like: Anvil, operator: tuple[Path, Wallet], tmp_path: Path, store_url: str
) -> None:
    keystore, wallet = operator
    w3 = public_like.w3
    token = deploy_contract(w3, wallet, "MockERC20", BUILD, "Harbour Pound", "HBP")
    founders = [*list(w3.eth.accounts)[1:3]]
    result = _deploy(public_like, keystore, _plan(tmp_path, founders, [token.address]), tmp_path)
    assert result.exit_code == 0, result.output

    manifest = load_manifest(tmp_path / "deployments" / f"{CHAIN_ID}.json")
    assert (manifest.chain_id, manifest.network, manifest.deployer) == (
        CHAIN_ID,
        "harbour-coop",
        wallet.address,
    )
    assert set(manifest.contracts) == {"Consortium", "Agreements", "ReferralRewards", "PartnerRatings"}
    for record in manifest.contracts.values():
        receipt = w3.eth.get_transaction_receipt(HexStr(record.tx_hash))
        assert receipt["from"] == wallet.address
        assert receipt["type"] == 2, "an EIP-1559 transaction"
        assert receipt["effectiveGasPrice"] >= w3.eth.get_block(receipt["blockNumber"])["baseFeePerGas"] > 0
    consortium = _contract(w3, manifest.contracts["Consortium"])
    assert consortium.functions.quorumBps().call() == 6_000
    assert consortium.functions.votingPeriod().call() == 86_400
    assert [consortium.functions.isActiveMember(founder).call() for founder in founders] == [True, True]
    assert not consortium.functions.isActiveMember(wallet.address).call(), "the deployer is not a member"
    assert consortium.functions.isApprovedAsset(token.address).call()

    with Store.open(store_url) as store:  # the manifest is what the indexer needs, on either store
        Indexer(ChainReader(public_like.url), store, manifest).sync()
        members = {row["address"]: row["name"] for row in store.projection_rows("members")}
        assert members == dict(zip(founders, ["Harbour Bakery", "Dockside Plumbing"], strict=True))
        assert [row["address"] for row in store.projection_rows("assets")] == [token.address]


def test_a_plan_for_another_chain_an_invalid_plan_or_an_existing_manifest_sends_nothing(
    public_like: Anvil, operator: tuple[Path, Wallet], tmp_path: Path
) -> None:
    keystore, wallet = operator
    w3 = public_like.w3
    nonce = w3.eth.get_transaction_count(Web3.to_checksum_address(wallet.address))
    founders = [*list(w3.eth.accounts)[1:3]]

    elsewhere = _deploy(public_like, keystore, _plan(tmp_path, founders, [], chain_id=1), tmp_path)
    assert elsewhere.exit_code == 1
    assert "The plan is for chain 1, but the node is chain 4242" in elsewhere.stderr

    broken = tmp_path / "broken.toml"
    broken.write_text('[deploy]\nnetwork = "harbour-coop"\nquorum_bps = 5000\nfounders = []\n')
    invalid = _deploy(public_like, keystore, broken, tmp_path)
    assert invalid.exit_code == 1
    message = invalid.stderr
    assert "deploy.quorum_bps" in message
    assert "deploy.founders" in message

    (tmp_path / "deployments").mkdir()
    (tmp_path / "deployments" / f"{CHAIN_ID}.json").write_text("{}")
    kept = _deploy(public_like, keystore, _plan(tmp_path, founders, []), tmp_path)
    assert kept.exit_code == 1
    assert "--replace" in kept.stderr
    assert w3.eth.get_transaction_count(Web3.to_checksum_address(wallet.address)) == nonce, "nothing was sent"
