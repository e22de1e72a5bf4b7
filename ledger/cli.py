"""The ``coopledger`` command line: the one place that sees every room (it wires the indexer to the store,
the API to its settings, and the member's commands to the chain)."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import socket
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from api.settings import load_api_settings
from ledger import __version__
from ledger.analytics.audit import verify_everything
from ledger.client.commands import agreement, consortium, referral
from ledger.client.commands.common import ConfigOption
from ledger.client.commands.deploy import deploy_command
from ledger.exceptions import CoopLedgerError, StoreError
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import EventDecoder
from ledger.indexer.follow import backfill, follow
from ledger.indexer.sync import Indexer, verify_deployment
from ledger.protocol.manifest import load_manifest
from ledger.settings import load_settings
from ledger.store import Store, queries

__all__ = ["app"]

app = typer.Typer(
    name="coopledger",
    help="A co-opetition ledger for consortia of small and medium businesses.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)
app.add_typer(consortium.app, name="consortium")
app.add_typer(agreement.app, name="agreement")
app.add_typer(referral.app, name="referral")
app.command("deploy")(deploy_command)
audit = typer.Typer(help="Check the store against the chain.", no_args_is_help=True)
app.add_typer(audit, name="audit")
webhooks = typer.Typer(
    help="The webhook deliveries of the alerts: list them, send one again.", no_args_is_help=True
)
app.add_typer(webhooks, name="webhooks")


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
        _error(exc)
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


@app.command()
def index(
    once: Annotated[bool, typer.Option("--once", help="stop at the head instead of following it")] = False,
    config: ConfigOption = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC endpoint (COOPLEDGER_RPC_URL)")] = None,
    store_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the store (COOPLEDGER_STORE_URL)")
    ] = None,
    manifest: Annotated[Path | None, typer.Option(help="deployment manifest (COOPLEDGER_MANIFEST)")] = None,
    confirmations: Annotated[
        int | None, typer.Option(help="blocks to wait before indexing a block (COOPLEDGER_CONFIRMATIONS)")
    ] = None,
    batch_blocks: Annotated[
        int | None, typer.Option(help="first eth_getLogs range, in blocks (COOPLEDGER_BATCH_BLOCKS)")
    ] = None,
    max_batch_blocks: Annotated[
        int | None, typer.Option(help="largest eth_getLogs range, in blocks (COOPLEDGER_MAX_BATCH_BLOCKS)")
    ] = None,
    poll_interval: Annotated[
        float | None, typer.Option(help="seconds between polls of the head (COOPLEDGER_POLL_INTERVAL)")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log each step")] = False,
) -> None:
    """Mirror every contract event into the store: backfill to the head, then follow it (Ctrl-C stops)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s level=%(levelname)s logger=%(name)s %(message)s",
    )
    try:
        settings = load_settings(
            config_file=config,
            rpc_url=rpc_url,
            store_url=store_url,
            manifest=manifest,
            confirmations=confirmations,
            batch_blocks=batch_blocks,
            max_batch_blocks=max_batch_blocks,
            poll_interval=poll_interval,
        )
        deployment = load_manifest(settings.manifest)
        if "Agreements" in deployment.contracts:  # the projections fold kinds by the manifest's enum
            deployment.contracts["Agreements"].enum_labels("Kind")
        reader = ChainReader(settings.rpc_url)
        verify_deployment(reader, deployment)  # before the store exists: bad input writes nothing
        store = Store.open(settings.store_url)
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=2) from None
    try:
        indexer = Indexer(
            reader,
            store,
            deployment,
            confirmations=settings.confirmations,
            batch_blocks=settings.batch_blocks,
            max_batch_blocks=settings.max_batch_blocks,
        )
    except CoopLedgerError as exc:  # e.g. a store that holds another chain's events
        store.close()
        _error(exc)
        raise typer.Exit(code=2) from None
    _stop_on_signals()
    try:
        report = backfill(indexer, console, wait_out_outages=not once, retry_after=settings.poll_interval)
        if report.to_block < report.from_block:
            console.print(f"the store is up to date at block {report.to_block}: nothing new to index")
        else:
            console.print(f"indexed blocks {report.from_block}..{report.to_block}: {report.events} events")
        if report.undecoded:
            errors.print(
                f"[yellow]warning:[/] {report.undecoded} logs could not be decoded; see undecoded_logs"
            )
        if not once:
            console.print(f"following {settings.rpc_url} (Ctrl-C stops)")
            follow(indexer, console, settings.poll_interval)
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM from a service manager
        checkpoint = store.checkpoint()
        where = f"block {checkpoint.block_number}" if checkpoint else "the start"
        console.print(f"stopped; the store is complete up to {where}")
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=1) from None
    finally:
        store.close()


def _error(problem: object) -> None:
    """Print ``problem`` as an error on stderr, its text as it is (a ``[coopledger]`` in it is not markup),
    not wrapped at the console's width (a path or a URL in it stays whole, to copy)."""
    errors.print(f"[bold red]error:[/] {escape(str(problem))}", soft_wrap=True)


def _stop_on_signals() -> None:
    """Stop on Ctrl-C (SIGINT) and on SIGTERM (what systemd and other service managers send) alike: the range
    being written is rolled back whole, and the command says where the store stands and exits 0.

    SIGINT is caught even when the process started with it ignored, as a shell's background job (``&``)
    or ``nohup`` starts it: the command says "Ctrl-C stops", an interrupt always stops it (as in uvicorn).
    """

    def interrupt(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


@app.command()
def serve(
    config: ConfigOption = None,
    store_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the store (COOPLEDGER_STORE_URL)")
    ] = None,
    rpc_url: Annotated[
        str | None, typer.Option(help="JSON-RPC endpoint, for /health and the audit (COOPLEDGER_RPC_URL)")
    ] = None,
    manifest: Annotated[Path | None, typer.Option(help="deployment manifest (COOPLEDGER_MANIFEST)")] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on (COOPLEDGER_API_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (COOPLEDGER_API_PORT)")] = None,
    alert_max_hhi: Annotated[
        float | None,
        typer.Option(help="alert above this concentration of value received (COOPLEDGER_ALERT_MAX_HHI)"),
    ] = None,
    alert_free_rider_ratio: Annotated[
        float | None,
        typer.Option(
            help="alert when received / contributed passes this (COOPLEDGER_ALERT_FREE_RIDER_RATIO)"
        ),
    ] = None,
    alert_min_rating_mean: Annotated[
        float | None,
        typer.Option(
            help="alert when partners rate a member below this on average (COOPLEDGER_ALERT_MIN_RATING_MEAN)"
        ),
    ] = None,
    alert_min_ratings: Annotated[
        int | None,
        typer.Option(help="ratings a member needs before a low mean alerts (COOPLEDGER_ALERT_MIN_RATINGS)"),
    ] = None,
    alert_rating_gap: Annotated[
        int | None,
        typer.Option(
            help="alert when two parties rate each other this far apart (COOPLEDGER_ALERT_RATING_GAP)"
        ),
    ] = None,
    alert_max_churn: Annotated[
        float | None,
        typer.Option(
            help="alert when more than this share of members leave in a month (COOPLEDGER_ALERT_MAX_CHURN)"
        ),
    ] = None,
    webhook_url: Annotated[
        list[str] | None,
        typer.Option(
            "--webhook-url",
            help="a URL that receives each new alert, signed with COOPLEDGER_WEBHOOK_SECRET (repeat; "
            "COOPLEDGER_WEBHOOK_URLS)",
        ),
    ] = None,
    webhook_max_attempts: Annotated[
        int | None, typer.Option(help="attempts before a delivery fails (COOPLEDGER_WEBHOOK_MAX_ATTEMPTS)")
    ] = None,
    webhook_retry_seconds: Annotated[
        float | None,
        typer.Option(
            help="the wait before a delivery's second attempt, doubling (COOPLEDGER_WEBHOOK_RETRY_SECONDS)"
        ),
    ] = None,
    metrics_worker: Annotated[
        str | None,
        typer.Option(
            help="where the head's figures are computed: process or thread (COOPLEDGER_METRICS_WORKER)"
        ),
    ] = None,
    metrics_global_interval: Annotated[
        float | None,
        typer.Option(
            help="seconds between computations of the head's global figures "
            "(COOPLEDGER_METRICS_GLOBAL_INTERVAL)"
        ),
    ] = None,
    metrics_communities_apart_from: Annotated[
        int | None,
        typer.Option(
            help="ties from which the worker finds communities in a second process "
            "(COOPLEDGER_METRICS_COMMUNITIES_APART_FROM)"
        ),
    ] = None,
    wallet_rpc_url: Annotated[
        str | None,
        typer.Option(
            help="the chain's RPC URL offered to members' browser wallets that lack the chain "
            "(COOPLEDGER_WALLET_RPC_URL)"
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log every request")] = False,
) -> None:
    """Serve the API (and its OpenAPI documentation at /docs) over the store with uvicorn (Ctrl-C stops).

    State-changing endpoints need COOPLEDGER_API_TOKEN, and webhooks COOPLEDGER_WEBHOOK_SECRET, in the
    environment or the settings file (never on the command line, where other users of the machine would see
    them)."""
    import uvicorn

    from api.main import create_app

    try:
        settings = load_api_settings(
            config_file=config,
            store_url=store_url,
            rpc_url=rpc_url,
            manifest=manifest,
            api_host=host,
            api_port=port,
            alert_max_hhi=alert_max_hhi,
            alert_free_rider_ratio=alert_free_rider_ratio,
            alert_min_rating_mean=alert_min_rating_mean,
            alert_min_ratings=alert_min_ratings,
            alert_rating_gap=alert_rating_gap,
            alert_max_churn=alert_max_churn,
            webhook_urls=webhook_url or None,
            webhook_max_attempts=webhook_max_attempts,
            webhook_retry_seconds=webhook_retry_seconds,
            metrics_worker=metrics_worker,
            metrics_global_interval=metrics_global_interval,
            metrics_communities_apart_from=metrics_communities_apart_from,
            wallet_rpc_url=wallet_rpc_url,
        )
        _require_store(settings.store_url)
        with Store.open(
            settings.store_url
        ) as store:  # a store that cannot be opened is reported here, plainly
            indexed = store.checkpoint()
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=2) from None
    address = f"{settings.api_host}:{settings.api_port}"
    try:
        listener = socket.create_server((settings.api_host, settings.api_port))
    except OSError as exc:
        errors.print(
            f"[bold red]error:[/] cannot listen on {address} ({exc.strerror}). Is another `coopledger serve` "
            "running there? Choose another port with --port (or COOPLEDGER_API_PORT)."
        )
        raise typer.Exit(code=2) from None
    if indexed is None:
        errors.print(
            "[yellow]warning:[/] the store holds no indexed block yet; the API answers 'nothing indexed' "
            "until `coopledger index` has run on it"
        )
    console.print(f"serving http://{address} (docs at /docs; Ctrl-C stops)")
    served = create_app(settings)
    server = uvicorn.Config(
        served,
        log_level="info" if verbose else "warning",
        access_log=verbose,
        # a stream that does not end within this many seconds of Ctrl-C is cancelled (they end within one)
        timeout_graceful_shutdown=STREAMS_CLOSED_AFTER_SECONDS,
    )

    class Server(uvicorn.Server):
        """uvicorn's server that, told to stop, first tells the app: its event streams end by themselves."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            served.state.closing.set()
            super().handle_exit(sig, frame)

    # uvicorn answers SIGTERM and Ctrl-C by finishing the requests in flight, then raises the signal again
    # once it has put the previous handler back: this one, so the process ends as the indexer does (exit 0).
    _stop_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        Server(server).run(sockets=[listener])
    try:
        with Store.open(settings.store_url) as store:
            checkpoint = store.checkpoint()
        where = f"is indexed up to block {checkpoint.block_number}" if checkpoint else "holds no block yet"
    except CoopLedgerError:
        where = "does not answer now"
    console.print(f"stopped serving; the store it served {where}")


def _require_store(url: str) -> None:
    """Refuse to serve a SQLite store that does not exist (opening it would create an empty one and serve
    that): the URL is then most likely not the one the indexer writes."""
    if not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return
    path = Path(url.removeprefix("sqlite:///")).expanduser()
    if not path.exists():
        raise StoreError(
            f"There is no store at {path}: index the chain into it first (`coopledger index`), or point "
            "--store-url (COOPLEDGER_STORE_URL) at the store the indexer writes."
        )


@audit.command("verify")
def audit_verify(
    config: ConfigOption = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC endpoint (COOPLEDGER_RPC_URL)")] = None,
    store_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL of the store (COOPLEDGER_STORE_URL)")
    ] = None,
    range_blocks: Annotated[
        int, typer.Option(min=1, max=1_000_000, help="blocks compared at a time (each one eth_getLogs)")
    ] = 2_000,
) -> None:
    """Compare every stored event with the chain, from the first deployment block to the indexed head, range
    by range (each range's digests first, its events only when they differ), and list every event altered,
    missing or extra in the store. Exits 1 when there is one."""
    try:
        settings = load_settings(config_file=config, rpc_url=rpc_url, store_url=store_url)
        _require_store(settings.store_url)
        store = Store.open(settings.store_url)
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=2) from None
    try:
        manifest, checkpoint = store.deployment(), store.checkpoint()
        if manifest is None or checkpoint is None:
            raise StoreError("The store holds nothing indexed yet: run `coopledger index` first.")
        reader = ChainReader(settings.rpc_url)
        verify_deployment(reader, manifest)
        first, last = manifest.start_block, checkpoint.block_number

        def stored_between(low: int, high: int) -> list[dict[str, Any]]:
            with store.reading() as connection:
                return queries.events_between(connection, low, high)

        with Progress(
            TextColumn("[bold]verifying[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("blocks"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        ) as progress:
            task = progress.add_task("verify", total=last - first + 1)
            found = verify_everything(
                reader,
                EventDecoder(manifest),
                stored_between,
                first,
                last,
                range_blocks,
                on_range=lambda checked: progress.update(task, completed=checked.last - first + 1),
            )
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=1) from None
    finally:
        store.close()
    console.print(
        f"blocks {first}..{last}: {found.compared} stored events compared with the chain, "
        f"{len(found.mismatches)} disagreement{'' if len(found.mismatches) == 1 else 's'}"
    )
    if found.mismatches:
        table = Table(title="the store disagrees with the chain")
        for column in ("block", "tx hash", "log", "problem"):
            table.add_column(column)
        for item in found.mismatches:
            table.add_row(str(item.block_number), item.tx_hash, str(item.log_index), item.problem)
        console.print(table)
        raise typer.Exit(code=1)


STREAMS_CLOSED_AFTER_SECONDS = 3

StoreUrlOption = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL of the store (COOPLEDGER_STORE_URL)")
]


def _open_store(config: Path | None, store_url: str | None) -> Store:
    try:
        settings = load_settings(config_file=config, store_url=store_url)
        _require_store(settings.store_url)
        return Store.open(settings.store_url)
    except CoopLedgerError as exc:
        _error(exc)
        raise typer.Exit(code=2) from None


@webhooks.command("list")
def webhooks_list(
    config: ConfigOption = None,
    store_url: StoreUrlOption = None,
    status: Annotated[
        str | None,
        typer.Option(help="only deliveries in this status: pending, sending, delivered or failed"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="how many, newest first")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the webhook deliveries of the alerts that appeared, newest first: the alert, the URL, the status,
    the attempts and the last error."""
    if status is not None and status not in ("pending", "sending", "delivered", "failed"):
        _error(f"--status {status!r}: use pending, sending, delivered or failed")
        raise typer.Exit(code=2)
    with _open_store(config, store_url) as store:
        notes = store.notifications
        found = notes.deliveries(status, limit)
        alerts = {delivery.alert_id: notes.change(delivery.alert_id) for delivery in found}
    rows = [
        {
            **vars(delivery),
            "alert": None if alerts[delivery.alert_id] is None else alerts[delivery.alert_id].payload(),  # type: ignore[union-attr]
        }
        for delivery in found
    ]
    if as_json:
        print(json.dumps(rows, indent=2, default=str))
        return
    table = Table(title=f"{len(rows)} webhook deliveries, newest first")
    for column in ("id", "alert", "url", "status", "attempts", "last error"):
        table.add_column(column)
    for row in rows:
        alert = row["alert"]
        said = (
            "gone (reorganised)"
            if alert is None
            else f"{alert['kind']} {alert['subject']} @ {alert['block']}"
        )
        table.add_row(
            str(row["id"]), said, row["url"], row["status"], str(row["attempts"]), row["last_error"] or ""
        )
    console.print(table)


@webhooks.command("replay")
def webhooks_replay(
    delivery: Annotated[int, typer.Argument(min=1, help="the delivery's id (`coopledger webhooks list`)")],
    config: ConfigOption = None,
    store_url: StoreUrlOption = None,
) -> None:
    """Send a delivery again from its first attempt: the API's webhook deliverer posts it within a second."""
    with _open_store(config, store_url) as store:
        found = store.notifications.replay(delivery, time.time())
    if not found:
        _error(f"There is no webhook delivery {delivery}: `coopledger webhooks list` shows them.")
        raise typer.Exit(code=1)
    console.print(f"delivery {delivery} is pending again: the API sends it at once")
