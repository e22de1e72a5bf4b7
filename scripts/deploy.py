"""Deploy coopledger's contracts and write the deployment manifest for the indexer.

    brownie run scripts/deploy.py [--network development]

Deploys the Consortium (founders, a strict-majority quorum, a week to vote) and the Agreements and
ReferralRewards contracts bound to it. On a development chain the first three test accounts become the
founders, and a mock ERC-20 ("Coop Dollar", cUSD) is deployed first and approved by the consortium for
payments. The manifest goes to ``deployments/<chain_id>.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from brownie import Agreements, Consortium, MockERC20, ReferralRewards, accounts, chain, network

from ledger.protocol.codes import encode_code
from ledger.protocol.manifest import DEFAULT_DEPLOYMENTS_DIR, ContractDeployment, write_manifest

DEV_FOUNDERS = [
    ("Crumb & Co Bakery", "bakery", "north"),
    ("Bean There Coffee", "coffee", "north"),
    ("Swift Wheels Delivery", "delivery", "south"),
]


BUILD_DIR = Path(__file__).resolve().parents[1] / "build" / "contracts"


def deployment_record(contract: Any) -> ContractDeployment:
    """The manifest record of a contract Brownie deployed: address, deployment block and transaction, and
    the facts the compiler recorded in its build (:meth:`ContractDeployment.from_build`)."""
    receipt = contract.tx
    return ContractDeployment.from_build(
        contract._name, contract.address, receipt.block_number, receipt.txid, BUILD_DIR, abi=contract.abi
    )


QUORUM_BPS = 5_001  # more than half of the electorate approves an admission, suspension or reinstatement
VOTING_PERIOD = 7 * 24 * 3600  # a week to vote


def deploy(deployer: Any, founders: list[tuple[str, str, bytes, bytes]]) -> dict[str, Any]:
    """Deploy every contract from ``deployer`` and return them by name. On a development chain the mock
    token comes first, so that the consortium accepts it from its deployment."""
    deployed: dict[str, Any] = {}
    if network.show_active() in ("development", "ganache-cli"):
        deployed["MockERC20"] = MockERC20.deploy("Coop Dollar", "cUSD", {"from": deployer})
    approved_assets = [contract.address for contract in deployed.values()]
    consortium = Consortium.deploy(founders, approved_assets, QUORUM_BPS, VOTING_PERIOD, {"from": deployer})
    deployed["Consortium"] = consortium
    deployed["Agreements"] = Agreements.deploy(consortium, {"from": deployer})
    deployed["ReferralRewards"] = ReferralRewards.deploy(consortium, {"from": deployer})
    return deployed


def deploy_and_record(deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR) -> Path:
    """Deploy with the active network's test accounts and write the manifest; return its path."""
    if network.show_active() not in ("development", "ganache-cli"):
        raise SystemExit(
            "scripts/deploy.py deploys with test accounts and so runs only on a development chain "
            "(--network development or ganache-cli)."
        )
    founders = [
        (account.address, name, encode_code(sector), encode_code(region))
        for account, (name, sector, region) in zip(accounts, DEV_FOUNDERS, strict=False)
    ]
    deployed = deploy(accounts[0], founders)
    path = write_manifest(
        chain_id=chain.id,
        network=network.show_active(),
        contracts={name: deployment_record(contract) for name, contract in deployed.items()},
        deployments_dir=deployments_dir,
    )
    for name, contract in deployed.items():
        print(f"  {name:<16} {contract.address}  (block {contract.tx.block_number})")
    print(f"Deployment manifest written to {path}")
    return path


def main() -> Path:
    """Brownie entry point: deploy and write ``deployments/<chain_id>.json``."""
    return deploy_and_record()
