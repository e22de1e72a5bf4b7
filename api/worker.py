"""The head's figures — what every request at the head reads — and the two ways the API computes them once
per change in the background (see :mod:`api.service`):

- :class:`ProcessRefresher` (``metrics_worker = "process"``, the default): a child process with its own graph,
  synced from the store, computes them and sends them to the API process. Figures are pure Python
  (networkx), so computed in the API process they would hold the GIL for seconds and every request would
  wait on it; in a child, the API's event loop only ever serves bytes.
- :class:`HeadRefresher` (``metrics_worker = "thread"``): a thread of the API process (one process fewer,
  for a small store).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Protocol

from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.alerts import Alert, AlertThresholds
from ledger.analytics.metrics.referrals import ReferralSummary, referral_stats
from ledger.analytics.metrics.report import (
    NetworkReport,
    ValueReport,
    alerts_report,
    network_report,
    value_report,
)
from ledger.analytics.metrics.views import Snapshot, snapshot
from ledger.exceptions import CoopLedgerError
from ledger.store import Store

if TYPE_CHECKING:
    from api.service import LedgerService

__all__ = [
    "GRAPH_EVENTS",
    "Figures",
    "HeadFigures",
    "HeadRefresher",
    "ProcessRefresher",
    "Refresher",
    "last_change_key",
    "network_figures",
]

log = logging.getLogger(__name__)
#: The events the graph (and so every figure) reads.
GRAPH_EVENTS = LedgerGraph.events_read()


def last_change_key(store: Store, block: int) -> tuple[int, str]:
    """``block``'s change key: the block and hash of the newest event the graph reads at or below it, or
    ``(-1, "")`` before any (see :mod:`api.service`)."""
    return store.last_change(block, GRAPH_EVENTS) or (-1, "")


Figures = tuple[NetworkReport, list[ValueReport], ReferralSummary]


def network_figures(now: Snapshot, thresholds: AlertThresholds) -> Figures:
    """The network report, the value reports (one per asset) and the referral figures of ``now``: what every
    request at the head reads, with the alerts (computed from them)."""
    return network_report(now), value_report(now, thresholds.free_rider_ratio), referral_stats(now.graph)


@dataclass(frozen=True)
class HeadFigures:
    """The head's figures as the metrics worker sends them: the height and change key they are for."""

    block: int
    key: tuple[int, str]
    figures: Figures
    alerts: list[Alert]


class Refresher(Protocol):
    """What computes the head's figures once per change, in the background."""

    @property
    def running(self) -> bool:
        """Whether it computes in another process, now (a request may then wait for it rather than compute
        the figures itself)."""
        ...

    def start(self) -> None: ...

    def wake(self) -> None: ...

    def stop(self, timeout: float = 30.0) -> None: ...


class HeadRefresher:
    """A daemon thread computing the indexed head's figures once per change (:meth:`LedgerService.
    refresh_head`), woken by a request that found them missing or every ``interval`` seconds. One at a time:
    a change that comes during a computation is taken up when it ends (the newest head then)."""

    def __init__(self, service: LedgerService, interval: float) -> None:
        self._service = service
        self._interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """False: this refresher's work is done in the API process, shared with the requests."""
        return False

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="coopledger-head-refresher", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look at the head now rather than at the next interval."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, after the computation under way if any."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._service.refresh_head()
            except CoopLedgerError as exc:  # the store is down, say: the requests say so; try again later
                log.info("head figures not refreshed: %s", exc)
            except Exception:  # a bug must not stop the refresher for good: it is logged
                log.exception("head figures not refreshed")
            self._wake.wait(self._interval)
            self._wake.clear()


class ProcessRefresher:
    """A child process computing the head's figures once per change and sending them to the API process
    (:meth:`LedgerService.accept`), woken by a request that found them missing or every ``interval`` seconds.
    A receiving thread in the API process takes them in. A child that died (killed, out of memory) is
    replaced at the next wake, with a warning; meanwhile requests get the newest complete figures."""

    def __init__(self, service: LedgerService, interval: float) -> None:
        self._service = service
        self._interval = interval
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receiver: threading.Thread | None = None
        self._stopped = False
        # the write end of the child's wake pipe, non-blocking: a wake never blocks the event loop (a full
        # pipe means a wake is pending already), and nothing is shared that a killed child could hold
        self._waker: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before :meth:`start`)."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        process = self._process
        return process is not None and process.is_alive()

    def start(self) -> None:
        """Start the child (spawned: the API process has threads, which a fork would copy half-way)."""
        with self._lock:
            if self._process is None and not self._stopped:
                self._spawn()

    def _spawn(self) -> None:
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe(duplex=False)
        woken, waker = context.Pipe(duplex=False)
        os.set_blocking(waker.fileno(), False)
        settings = self._service.settings
        self._process = context.Process(
            target=compute_head_figures,
            args=(settings.store_url, self._service.thresholds, self._interval, theirs, woken),
            name="coopledger-metrics-worker",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        woken.close()
        self._connection, self._waker = mine, waker
        self._receiver = threading.Thread(
            target=self._receive, args=(mine,), name="coopledger-metrics-receiver", daemon=True
        )
        self._receiver.start()

    def wake(self) -> None:
        """Ask the child to look at the head now rather than at the next interval (replacing it first if it
        died)."""
        with self._lock:
            process = self._process
            if process is not None and not process.is_alive() and not self._stopped:
                log.warning(
                    "the metrics worker (pid %s) exited with %s; starting another",
                    process.pid,
                    process.exitcode,
                )
                self._close_pipes()
                self._spawn()
            self._poke(b"w")

    def _poke(self, message: bytes) -> None:
        if self._waker is None:
            return
        try:
            os.write(self._waker.fileno(), message)
        except BlockingIOError:  # the pipe is full of wakes the child has not read yet: it will look
            return
        except OSError:  # the child is gone: it is replaced at the next wake
            return

    def _close_pipes(self) -> None:
        for end in (self._connection, self._waker):
            if end is not None:
                end.close()
        self._connection = self._waker = None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the child (after the computation under way, or at ``timeout``) and the receiving thread."""
        with self._lock:
            self._stopped = True
        if self._process is None:
            return
        with self._lock:
            self._poke(b"s")
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
        with self._lock:
            self._close_pipes()
        if self._receiver is not None:
            self._receiver.join(5)

    def _receive(self, connection: Connection) -> None:
        while True:
            try:
                found = connection.recv()
            except (EOFError, OSError):
                return
            self._service.accept(found)


def compute_head_figures(
    store_url: str, thresholds: AlertThresholds, interval: float, connection: Connection, woken: Connection
) -> None:
    """The metrics worker's loop (in the child process): whenever the head's change key is new, sync its own
    graph from the store, compute the head's figures and send them as :class:`HeadFigures` on
    ``connection``; look at the head when a byte arrives on ``woken`` or every ``interval`` seconds; end on
    ``s`` or when the API process is gone (its ends of the pipes closed)."""
    store = Store.open(store_url)
    ledger = LedgerGraph(())
    done: tuple[int, str] | None = None
    try:
        while True:
            try:
                head = store.checkpoint()
                key = None if head is None else last_change_key(store, head.block_number)
                if head is not None and key is not None and key != done:
                    kinds = store.agreement_kinds()
                    if kinds != ledger.kinds:  # the first deployment recorded, or a new one
                        ledger = LedgerGraph(kinds)
                    ledger.sync(store)
                    now = snapshot(ledger, head.block_number)
                    figures = network_figures(now, thresholds)
                    alerts = alerts_report(now, figures[0], figures[1], thresholds)
                    connection.send(HeadFigures(head.block_number, key, figures, alerts))
                    done = key
            except CoopLedgerError as exc:  # the store is down, say: try again at the next interval
                log.info("head figures not computed: %s", exc)
            except OSError:  # the API process is gone (its end of the pipe closed)
                return
            ready, _, _ = select.select([woken.fileno()], [], [], interval)
            if ready:
                message = os.read(woken.fileno(), 4096)
                if not message or b"s" in message:  # stopped, or the API process is gone
                    return
    finally:
        store.close()
