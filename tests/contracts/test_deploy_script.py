"""scripts/deploy.py deploys the contracts, wires them together and writes a manifest for the indexer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brownie import Agreements, Consortium, ReferralRewards, web3

from ledger.protocol.manifest import load_manifest
from scripts.deploy import deploy_and_record


def test_deploy_writes_a_manifest_of_live_contracts(tmp_path: Path, accounts: Any) -> None:
    path = deploy_and_record(tmp_path)
    manifest = load_manifest(path)
    assert path == tmp_path / f"{web3.eth.chain_id}.json"
    assert manifest.chain_id == web3.eth.chain_id
    assert set(manifest.contracts) == {"Consortium", "Agreements", "ReferralRewards", "MockERC20"}
    head = web3.eth.block_number
    for record in manifest.contracts.values():
        assert web3.eth.get_code(record.address) != b"", "the address holds code"
        assert record.block <= head
        receipt = web3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt["contractAddress"] == record.address
        assert receipt["blockNumber"] == record.block

    agreements = Agreements.at(manifest.contracts["Agreements"].address)
    consortium = Consortium.at(manifest.contracts["Consortium"].address)
    assert agreements.consortium() == consortium.address
    assert (
        ReferralRewards.at(manifest.contracts["ReferralRewards"].address).consortium() == consortium.address
    )
    assert consortium.activeMemberCount() == 3
    assert consortium.isActiveMember(accounts[0])
    assert manifest.contracts["Agreements"].abi == Agreements.abi
