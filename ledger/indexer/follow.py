"""Running the indexer: backfill with a progress bar, then follow the head, waiting out outages of the node
and of the store's database.

This is the loop behind ``coopledger index``; it holds no indexing logic of its own (see
:mod:`ledger.indexer.sync`), only pacing, retries and what the user sees.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from ledger.exceptions import ChainError, StoreUnavailableError
from ledger.indexer.sync import Indexer, SyncReport

__all__ = ["StatusLine", "backfill", "follow"]

log = logging.getLogger("coopledger.indexer")

MAX_BACKOFF = 30.0


def backfill(
    indexer: Indexer,
    console: Console,
    wait_out_outages: bool = False,
    retry_after: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """One sync to the head, showing blocks done and events per second. With ``wait_out_outages`` (the
    indexer goes on to follow the head), a node or a database that stops answering midway is waited out as
    :func:`follow` does, and the sync resumes from where the store stands; without it (``--once``), the
    error ends the backfill."""
    backoff, waiting = retry_after, ""
    while True:
        try:
            report = _sync_with_progress(indexer, console)
        except (ChainError, StoreUnavailableError) as exc:
            if not wait_out_outages:
                raise
            what = "the node" if isinstance(exc, ChainError) else "the store"
            if waiting != what:
                console.print(f"[yellow]waiting for {what}:[/] {exc}")
            waiting = what
            log.warning("%s unavailable during the backfill retry_in=%.1f error=%s", what, backoff, exc)
            sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)
            continue
        if waiting:
            console.print(f"[green]{waiting} is back;[/] resuming")
        return report


def _sync_with_progress(indexer: Indexer, console: Console) -> SyncReport:
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


class StatusLine:
    """The one line ``follow`` shows: redrawn in place on a terminal; elsewhere (a log, a pipe) printed only
    when it changes, so that a quiet chain writes nothing."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._live = Live(console=console, transient=True) if console.is_terminal else None
        self._last = ""

    def __enter__(self) -> StatusLine:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._live is not None:
            self._live.stop()

    def show(self, text: str) -> None:
        """Replace the line with ``text``."""
        if text == self._last:
            return
        self._last = text
        if self._live is not None:
            self._live.update(Text.from_markup(text))
        else:
            self.console.print(text)


def follow(
    indexer: Indexer,
    console: Console,
    poll_interval: float,
    sleep: Callable[[float], None] = time.sleep,
    stop: Callable[[], bool] = lambda: False,
) -> None:
    """Sync every ``poll_interval`` seconds until ``stop()``; while the node or the store's database does not
    answer (down, restarting), wait with doubling backoff and retry: a write that failed left nothing behind.

    The status line says the block indexed, the events stored and what the last poll added; during an
    outage it says what the indexer is waiting for and when it retries.
    """
    backoff = poll_interval
    waiting = ""  # what the indexer waits for: "the node", "the store", or nothing
    stored = indexer.store.event_count()
    with StatusLine(console) as line:
        while not stop():
            try:
                report = indexer.sync()
                checkpoint = indexer.store.checkpoint()
            except (ChainError, StoreUnavailableError) as exc:
                what = "the node" if isinstance(exc, ChainError) else "the store"
                if waiting != what:
                    console.print(f"[yellow]waiting for {what}:[/] {exc}")
                waiting = what
                log.warning("%s unavailable retry_in=%.1f error=%s", what, backoff, exc)
                line.show(f"[yellow]waiting for {what}[/] · retrying in {backoff:g} s")
                sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            if waiting:
                console.print(f"[green]{waiting} is back;[/] resuming")
                waiting, backoff = "", poll_interval
            stored += report.events - report.rolled_back_events
            head = checkpoint.block_number if checkpoint else report.to_block
            rolled = f" · rolled back {report.rolled_back_events} events" if report.rolled_back_events else ""
            line.show(f"following · block {head:,} · {stored:,} events stored · +{report.events} new{rolled}")
            sleep(poll_interval)
