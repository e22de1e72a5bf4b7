"""Deploy coopledger's contracts on a development chain, for the demo and the tests, and write the manifest.

    python scripts/deploy.py [--rpc-url http://127.0.0.1:8545] [--deployments-dir deployments]

A mock ERC-20 ("Coop Dollar", cUSD) is deployed first; then, by the same path as `coopledger deploy`
(:mod:`ledger.client.deployer`), the Consortium (the first three test accounts as founders, a strict-majority
quorum, a week to vote, cUSD accepted), Agreements and ReferralRewards, all signed by test account 0. The
manifest goes to ``deployments/<chain_id>.json``. It is a plain Python script (no ``brownie run``), so it
runs wherever the checkout lives. On any other chain, deploy with
``coopledger deploy --plan FILE --keystore FILE``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3

from ledger.client.deployer import DeploymentPlan, Founder, deploy, deploy_contract
from ledger.client.wallet import Wallet
from ledger.exceptions import CoopLedgerError
from ledger.protocol.manifest import DEFAULT_DEPLOYMENTS_DIR, ContractDeployment

PROJECT = Path(__file__).resolve().parents[1]
BUILD_DIR = PROJECT / "build" / "contracts"
DEV_FOUNDERS = [
    ("Crumb & Co Bakery", "bakery", "north"),
    ("Bean There Coffee", "coffee", "north"),
    ("Swift Wheels Delivery", "delivery", "south"),
]
QUORUM_BPS = 5_001  # more than half of the electorate approves an admission, suspension or reinstatement
VOTING_PERIOD = 7 * 24 * 3600  # a week to vote


def deployment_record(contract: Any) -> ContractDeployment:
    """The manifest record of a contract Brownie deployed (in the contract tests and the gas benchmark):
    address, deployment block and transaction, and the facts the compiler recorded in its build."""
    receipt = contract.tx
    return ContractDeployment.from_build(
        contract._name, contract.address, receipt.block_number, receipt.txid, BUILD_DIR, abi=contract.abi
    )


def dev_plan(w3: Web3, token: str) -> DeploymentPlan:
    """The demo's consortium: the chain's first three test accounts as founders, ``token`` accepted."""
    founders = [
        Founder(address=account, name=name, sector=sector, region=region)
        for account, (name, sector, region) in zip(w3.eth.accounts, DEV_FOUNDERS, strict=False)
    ]
    return DeploymentPlan(
        network="development",
        chain_id=w3.eth.chain_id,
        quorum_bps=QUORUM_BPS,
        voting_period=VOTING_PERIOD,
        founders=founders,
        assets=[token],
    )


def deploy_dev(
    rpc_url: str, deployments_dir: Path = DEFAULT_DEPLOYMENTS_DIR, build_dir: Path = BUILD_DIR
) -> Path:
    """Deploy the mock token and the contracts on the development chain at ``rpc_url``; the manifest's path.

    Raises
    ------
    CoopLedgerError
        If the node does not answer, is not a development chain (the test accounts sign only there), or a
        deployment fails.
    """
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 60}))
    if not w3.is_connected():
        raise CoopLedgerError(
            f"The node at {rpc_url} does not answer. Start a development chain (make demo)."
        )
    wallet = Wallet.dev(0, w3.eth.chain_id)
    token = deploy_contract(w3, wallet, "MockERC20", build_dir, "Coop Dollar", "cUSD")

    def deployed(name: str, record: ContractDeployment) -> None:
        print(f"  {name:<16} {record.address}  (block {record.block})")

    deployed("MockERC20", token)
    plan = dev_plan(w3, token.address)
    path = deploy(w3, wallet, plan, build_dir, deployments_dir, {"MockERC20": token}, report=deployed)
    print(f"Deployment manifest written to {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rpc-url", default="http://127.0.0.1:8545", help="the development chain")
    parser.add_argument(
        "--deployments-dir", type=Path, default=DEFAULT_DEPLOYMENTS_DIR, help="where to write"
    )
    options = parser.parse_args(argv)
    try:
        deploy_dev(options.rpc_url, options.deployments_dir)
    except CoopLedgerError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
