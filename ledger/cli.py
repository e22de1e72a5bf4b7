"""The ``coopledger`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger import __version__
from ledger.exceptions import CoopLedgerError
from ledger.manifest import load_manifest

__all__ = ["app"]

app = typer.Typer(
    name="coopledger",
    help="A co-opetition ledger for consortia of small and medium businesses.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)


@app.command()
def version() -> None:
    """Print the coopledger version."""
    console.print(f"coopledger {__version__}")


@app.command()
def deployment(
    manifest: Annotated[
        Path,
        typer.Argument(help="deployment manifest written by the deploy script, e.g. deployments/31337.json"),
    ],
) -> None:
    """Show the contracts of a deployment manifest: name, address and deployment block."""
    try:
        loaded = load_manifest(manifest)
    except CoopLedgerError as exc:
        errors.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    table = Table(
        title=f"chain {loaded.chain_id} ({loaded.network}), deployed {loaded.deployed_at:%Y-%m-%d %H:%M} UTC"
    )
    table.add_column("contract")
    table.add_column("address")
    table.add_column("block", justify="right")
    for name, contract in sorted(loaded.contracts.items()):
        table.add_row(name, contract.address, str(contract.block))
    console.print(table)
