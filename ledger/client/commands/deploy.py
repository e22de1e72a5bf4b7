"""``coopledger deploy``: the contracts on any EVM chain, from a deployment plan, signed by a keystore."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from web3 import HTTPProvider, Web3

from ledger.client.commands.common import (
    ConfigOption,
    DevAccountOption,
    KeystoreOption,
    RpcOption,
    YesOption,
    console,
    failures,
    open_wallet,
)
from ledger.client.deployer import CONTRACTS, deploy, load_plan
from ledger.exceptions import CoopLedgerError
from ledger.protocol.manifest import ContractDeployment, manifest_path
from ledger.settings import load_settings

__all__ = ["deploy_command"]


def deploy_command(
    plan: Annotated[
        Path, typer.Option(help="the deployment plan: TOML, a \\[deploy] table (docs/OPERATING.md)")
    ],
    config: ConfigOption = None,
    rpc_url: RpcOption = None,
    keystore: KeystoreOption = None,
    dev_account: DevAccountOption = None,
    build_dir: Annotated[
        Path, typer.Option(help="the compiler's output, one JSON per contract (`make compile` writes it)")
    ] = Path("build/contracts"),
    deployments_dir: Annotated[Path, typer.Option(help="where the manifest is written")] = Path(
        "deployments"
    ),
    replace: Annotated[
        bool, typer.Option("--replace", help="write over an existing manifest of the same chain")
    ] = False,
    yes: YesOption = False,
) -> None:
    """Deploy the Consortium, Agreements and ReferralRewards to the chain at --rpc-url, as the plan says
    (founders, quorum, voting period, accepted assets), signed by --keystore; write
    deployments/<chain id>.json for the indexer, the command line and the API."""
    with failures():
        chosen = load_plan(plan)
        settings = load_settings(config_file=config, rpc_url=rpc_url)
        w3 = Web3(HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 60}))
        if not w3.is_connected():
            raise CoopLedgerError(f"The node at {settings.rpc_url} does not answer. Check --rpc-url.")
        chain_id = w3.eth.chain_id
        existing = manifest_path(chain_id, deployments_dir)
        if existing.exists() and not replace:
            raise CoopLedgerError(
                f"{existing} already records a deployment on chain {chain_id}: move it away first, or give "
                "--replace to write over it (the contracts it names stay on chain)."
            )
        wallet = open_wallet(keystore, dev_account, chain_id)
        console.print(
            f"Deploy {', '.join(CONTRACTS)} to chain {chain_id} ({chosen.network}) at {settings.rpc_url}, "
            f"signed by {wallet.address} ({wallet.source}):\n"
            f"  {len(chosen.founders)} founders, quorum {chosen.quorum_bps / 100:g} % of the electorate, "
            f"{chosen.voting_period:,} s to vote, {len(chosen.assets)} ERC-20 assets accepted"
        )
        if not yes and not typer.confirm("Deploy?"):
            raise typer.Exit(code=1)

        def deployed(name: str, record: ContractDeployment) -> None:
            console.print(f"  {name:<16} {record.address}  (block {record.block})")

        path = deploy(w3, wallet, chosen, build_dir, deployments_dir, report=deployed)
        console.print(f"manifest written to {path}")
