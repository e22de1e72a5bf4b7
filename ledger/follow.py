"""Running the indexer: backfill with a progress bar, then follow the head, waiting out node outages.

This is the loop behind ``coopledger index``; it holds no indexing logic of its own (see
:mod:`ledger.indexer`), only pacing, retries and what the user sees.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledger.exceptions import ChainError
from ledger.indexer import Indexer, SyncReport

__all__ = ["backfill", "follow"]

log = logging.getLogger("coopledger.indexer")

MAX_BACKOFF = 30.0


def backfill(indexer: Indexer, console: Console) -> SyncReport:
    """One sync to the head, showing blocks done and events per second."""
    started = time.monotonic()
    with Progress(
        TextColumn("[bold]indexing[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("blocks · {task.fields[events]:,} events · {task.fields[rate]:,.0f} events/s"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("backfill", total=None, events=0, rate=0.0)
        first: list[int] = []

        def update(done: int, target: int, events: int) -> None:
            if not first:
                first.append(done)
            elapsed = max(time.monotonic() - started, 1e-9)
            progress.update(task, completed=done, total=target, events=events, rate=events / elapsed)

        report = indexer.sync(on_progress=update)
    elapsed = time.monotonic() - started
    log.info(
        "backfill done from=%d to=%d events=%d undecoded=%d seconds=%.2f",
        report.from_block,
        report.to_block,
        report.events,
        report.undecoded,
        elapsed,
    )
    return report


def follow(
    indexer: Indexer,
    console: Console,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Sync every ``poll_interval`` seconds until ``stop()``; on a node outage, wait with doubling backoff."""
    backoff = poll_interval
    waiting = False
    while not stop():
        try:
            report = indexer.sync()
        except ChainError as exc:
            if not waiting:
                console.print(f"[yellow]waiting for the node:[/] {exc}")
            waiting = True
            log.warning("node unavailable retry_in=%.1f error=%s", backoff, exc)
            sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        if waiting:
            console.print("[green]node is back;[/] resuming")
            waiting, backoff = False, poll_interval
        checkpoint = indexer.store.checkpoint()
        if report.events or report.rolled_back_events:
            head = checkpoint.block_number if checkpoint else report.to_block
            rolled = f", rolled back {report.rolled_back_events} events" if report.rolled_back_events else ""
            console.print(f"block {head}: +{report.events} events{rolled}")
        sleep(poll_interval)
