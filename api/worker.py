"""The head's figures — what every request at the head reads — kept by a :class:`HeadEngine`, and the two ways
the API runs one in the background (see :mod:`api.service`):

- :class:`ProcessRefresher` (``metrics_worker = "process"``, the default): a child process with its own
  engine sends the figures to the API process. Figures are pure Python (networkx), so computed in the API
  process they would hold the GIL for seconds and every request would wait on it; in a child, the API's
  event loop only ever serves bytes.
- :class:`HeadRefresher` (``metrics_worker = "thread"``): a thread of the API process (one process fewer,
  for a small store).

**Two speeds.** The engine's graph keeps :class:`~ledger.analytics.metrics.running.RunningFigures`: the
counted figures (size, ties, density, degree, strength, diversity, value sharing, referrals, activity, and
the concentration and free-rider alerts) follow every change of the head in milliseconds. The *global*
figures (betweenness, PageRank, communities, clustering, constraint, brokers, gaps, bridges, articulation
points, and the single-point-of-failure and sector-silo alerts) are computed on a thread of their own from
the running tie graph, at most once per ``metrics_global_interval`` seconds; each answer of the head says
the last change they reflect (:attr:`HeadFigures.global_key`).
"""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import multiprocessing
import os
import select
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Protocol

import networkx as nx
import pydantic_core
from pydantic import TypeAdapter

from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.activity import PERIODS, Period, PeriodName
from ledger.analytics.metrics.alerts import Alert, AlertThresholds
from ledger.analytics.metrics.compiled import CompiledTies
from ledger.analytics.metrics.network import Communities, communities, communities_of_edges
from ledger.analytics.metrics.referrals import ReferralSummary, referral_stats
from ledger.analytics.metrics.report import (
    NetworkReport,
    ValueReport,
    network_report,
    structural_alerts,
    structure_report,
    value_alerts,
    value_report,
)
from ledger.analytics.metrics.running import RunningFigures
from ledger.analytics.metrics.value import MemberValue
from ledger.analytics.metrics.views import Snapshot
from ledger.exceptions import CoopLedgerError
from ledger.store import Store

if TYPE_CHECKING:
    from api.service import LedgerService

__all__ = [
    "COMMUNITIES_APART_FROM",
    "GRAPH_EVENTS",
    "KEYED_EVENTS",
    "LEAD_LOCK",
    "Figures",
    "GlobalFigures",
    "HeadEngine",
    "HeadFigures",
    "HeadRefresher",
    "ProcessRefresher",
    "Refresher",
    "ValueAlertBook",
    "decode_figures",
    "encode_figures",
    "last_change_key",
    "network_figures",
    "sync_lean",
]

log = logging.getLogger(__name__)
#: The tie graph's size (ties) from which :class:`HeadEngine` finds the communities in another process.
COMMUNITIES_APART_FROM = 20_000
#: The events the graph (and so every figure) reads.
GRAPH_EVENTS = LedgerGraph.events_read()
#: The events the figures' answers read: the graph's, and the acquisition costs sponsors state, which the
#: referral figures read from the store at the height (``/v1/metrics/referrals``).
KEYED_EVENTS = GRAPH_EVENTS | {("ReferralRewards", "AcquisitionCostSet")}


def last_change_key(store: Store, block: int) -> tuple[int, str]:
    """``block``'s change key: the block and hash of the newest event the figures read at or below it
    (:data:`KEYED_EVENTS`), or ``(-1, "")`` before any (see :mod:`api.service`)."""
    return store.last_change(block, KEYED_EVENTS) or (-1, "")


Figures = tuple[NetworkReport, list[ValueReport], ReferralSummary]


def sync_lean(
    store: Store, ledger: LedgerGraph, running: RunningFigures
) -> tuple[LedgerGraph, RunningFigures]:
    """A facts-free graph and its running figures brought up to the store's head: ``ledger`` synced, or new
    ones if the recorded deployment's agreement kinds changed (the first deployment recorded, or a new
    one)."""
    kinds = store.agreement_kinds()
    if kinds != ledger.kinds:
        running = RunningFigures()
        ledger = LedgerGraph(kinds, observer=running, keep_facts=False)
    ledger.sync(store)
    return ledger, running


def network_figures(now: Snapshot, thresholds: AlertThresholds) -> Figures:
    """The network report, the value reports (one per asset) and the referral figures of ``now``, computed
    in full: what an explicit height reads."""
    return network_report(now), value_report(now, thresholds.free_rider_ratio), referral_stats(now.graph)


@dataclass(frozen=True)
class GlobalFigures:
    """The global figures (see the module's docstring) at ``block``, whose change key is ``key``."""

    block: int
    key: tuple[int, str]
    report: NetworkReport
    failures: list[Alert]  # single points of failure
    silos: list[Alert]  # members with no partner outside their sector


@dataclass(frozen=True)
class HeadFigures:
    """The head's figures: the counted ones at ``block`` (change key ``key``), the global ones at
    ``global_block`` (change key ``global_key``), merged as every answer at the head reads them."""

    block: int
    key: tuple[int, str]
    global_block: int
    global_key: tuple[int, str]
    figures: Figures
    alerts: list[Alert]
    activity: dict[PeriodName, list[Period]]


#: What the head's figures hold before the first global computation ends: an empty report, at no change
#: (answers say ``global_last_change_block: null``). At scale the global figures take a while; the counted
#: ones are served from the moment the graph is built.
_NO_GLOBAL_FIGURES = GlobalFigures(-1, (-1, ""), structure_report(-1, {}, nx.Graph()), [], [])


class ValueAlertBook:
    """:func:`value_alerts` of the running figures' value reports, read again only for the assets whose flows
    changed: :meth:`RunningFigures.values` hands back the same flows for an asset no fact touched."""

    def __init__(self, thresholds: AlertThresholds) -> None:
        self.thresholds = thresholds
        self._kept: dict[str, tuple[dict[str, MemberValue], list[Alert]]] = {}  # per asset, with its flows

    def read(self, values: list[ValueReport]) -> list[Alert]:
        """The value alerts of ``values`` (as ``value_alerts(values, thresholds)``)."""
        found = []
        for report in values:
            kept = self._kept.get(report.asset)
            if kept is None or kept[0] is not report.members:
                kept = (report.members, value_alerts([report], self.thresholds))
                self._kept[report.asset] = kept
            found += kept[1]
        return found


class HeadEngine:
    """Keeps the head's figures for one process (the metrics worker, or the API process with the thread
    refresher): :meth:`step` brings its graph up to the store's head and, when the change key is new, hands
    the merged :class:`HeadFigures` to ``publish``; global figures are recomputed on a thread of their own
    at most every ``global_interval`` seconds, and published merged with the counted figures of the moment.

    Its graph keeps no edges (``keep_facts=False``): the running figures and the tie graph are all it needs.
    ``computed`` counts the computations: ``"counted"`` (per change) and ``"global"``.

    On a tie graph of at least ``communities_apart_from`` ties, the communities (Louvain, the slowest global
    figure) are found in a process of their own, started for each computation, while the engine computes
    the other global figures: the same figures
    (:func:`~ledger.analytics.metrics.network.communities_of_edges`), sooner on two cores (10 000 members:
    7 s of the global figures' 20 s). Below, a process would cost more than it saves.
    """

    def __init__(
        self,
        store: Store,
        thresholds: AlertThresholds,
        global_interval: float,
        publish: Callable[[HeadFigures], None],
        communities_apart_from: int = COMMUNITIES_APART_FROM,
    ) -> None:
        self.store = store
        self.communities_apart_from = communities_apart_from
        self.thresholds = thresholds
        self.global_interval = global_interval
        self.publish = publish
        self.computed: Counter[str] = Counter()
        self._lock = threading.Lock()  # the graph, its running figures and what was published
        self._running = RunningFigures()
        self._ledger = LedgerGraph((), observer=self._running, keep_facts=False)
        self._global: GlobalFigures | None = None
        self._global_thread: threading.Thread | None = None
        self._global_started = -float("inf")
        self._global_seconds = 0.0  # how long the last global computation took
        self._published: tuple[tuple[int, str], tuple[int, str]] | None = None
        self._value_alerts = ValueAlertBook(thresholds)
        self._communities_pool: ProcessPoolExecutor | None = None
        self._frozen = False  # whether the built graph was moved out of the collector's sight

    def step(self) -> None:
        """Bring the graph up to the store's head; publish the head's figures if its change key is new; start
        the global figures' computation if they are behind and the interval has passed.

        Raises
        ------
        CoopLedgerError
            If the store cannot be read (the caller tries again later).
        """
        with self._lock:
            if not self._sync():
                return
            if not self._frozen:  # the graph is built: the collector need not walk it again (pauses of
                gc.freeze()  # 100 ms and more at 2 000 members in every change's figures, seconds at 10 000)
                self._frozen = True
            block = self._ledger.block
            key = last_change_key(self.store, block)
            if self._global is None:  # none computed yet: the counted figures are served meanwhile
                self._global = _NO_GLOBAL_FIGURES
            current = self._global
        if key != current.key and not self._global_running() and self._interval_passed():
            self._global_thread = threading.Thread(
                target=self._global_in_background, name="coopledger-global-figures", daemon=True
            )
            self._global_started = time.monotonic()
            self._global_thread.start()
        with self._lock:
            if self._published is None or self._published[0] != key:
                self._publish(block, key)

    def _sync(self) -> bool:
        pause = self._ledger.block < 0 and gc.isenabled()  # built from nothing: every object it makes stays,
        if pause:  # and the collector would only walk the growing graph again and again (5 % at 10 000)
            gc.disable()
        try:
            self._ledger, self._running = sync_lean(self.store, self._ledger, self._running)
        finally:
            if pause:
                gc.enable()
        return self._ledger.block >= 0

    def _global_running(self) -> bool:
        return self._global_thread is not None and self._global_thread.is_alive()

    def _interval_passed(self) -> bool:
        """Whether a global computation may start now: one that takes as long as the last one would end at
        least ``global_interval`` after it ended. So global figures are published at most once per interval,
        and a change waits at most an interval for them (the computation's own time included)."""
        return time.monotonic() - self._global_started >= self.global_interval - self._global_seconds

    def _global_in_background(self) -> None:
        try:
            self._compute_global()
        except CoopLedgerError as exc:
            log.info("global figures not computed: %s", exc)
        except Exception:  # a bug must not stop the head's figures for good: it is logged
            log.exception("global figures not computed")

    def _compute_global(self) -> None:
        """Compute the global figures on the tie graph of the moment (taken under the lock; computed
        without it), then publish them merged with the counted figures of the moment."""
        with self._lock:
            block = self._ledger.block
            key = last_change_key(self.store, block)
            members, ties = self._running.members(), self._running.tie_graph()
        self._global_started = started = time.monotonic()
        compiled = CompiledTies.of(ties)
        apart = ties.number_of_edges() >= self.communities_apart_from
        found = self._communities_apart(ties, compiled) if apart else None
        report = structure_report(block, members, ties, compiled=compiled, communities_found=found)
        failures, silos = structural_alerts(ties, report)
        self._global_seconds = time.monotonic() - started
        with self._lock:  # counted with the publication it brings, in one step (see :meth:`counts`)
            self.computed["global"] += 1
            self._global = GlobalFigures(block, key, report, failures, silos)
            now = self._ledger.block
            self._publish(now, last_change_key(self.store, now) if now != block else key)

    def _communities_apart(self, ties: nx.Graph[str], compiled: CompiledTies) -> Callable[[], Communities]:
        """Start finding ``ties``'s communities in a process of their own; returns what waits for them. If
        that process cannot start or dies, they are found here instead (and the failure logged)."""
        edges, weights = compiled.graph.get_edgelist(), compiled.graph.es["weight"]
        try:
            if self._communities_pool is None:
                self._communities_pool = ProcessPoolExecutor(  # spawned: this process has threads
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1
                )
            future = self._communities_pool.submit(communities_of_edges, compiled.nodes, edges, weights)
        except Exception as exc:  # no process to be had (a daemon may not start one, say): found here
            log.warning("communities found in the engine's own process: no process for them (%s)", exc)
            self._communities_pool = None
            return lambda: communities(ties)

        def found() -> Communities:
            try:
                return future.result()
            except (BrokenProcessPool, OSError) as exc:
                log.warning("communities found in the engine's own process: their process failed (%s)", exc)
                self._communities_pool = None
                return communities(ties)

        return found

    def _publish(self, block: int, key: tuple[int, str]) -> None:
        """Merge the counted figures now with the newest global figures and publish them (under the lock)."""
        current = self._global
        assert current is not None
        running = self._running
        values = running.values(block, self.thresholds.free_rider_ratio)
        counted = running.network()
        network = replace(current.report, block=block, **vars(counted))
        alerts = [*current.failures, *self._value_alerts.read(values), *current.silos]
        activity = {period: running.activity(period) for period in PERIODS}
        found = HeadFigures(
            block, key, current.block, current.key, (network, values, running.referrals()), alerts, activity
        )
        self.computed["counted"] += 1
        self.publish(found)
        self._published = (key, current.key)

    def counts(self) -> dict[str, int]:
        """How many times the figures were computed, by kind (``counted``, ``global``): a global computation
        and the publication of the counted figures it brings are counted together."""
        with self._lock:
            return dict(self.computed)

    def stop(self, timeout: float = 30.0) -> None:
        """Wait for the global computation under way, if any (at most ``timeout`` seconds)."""
        thread = self._global_thread
        if thread is not None:
            thread.join(timeout)
        if self._communities_pool is not None:
            self._communities_pool.shutdown(cancel_futures=True)


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
    """A daemon thread of the API process running a :class:`HeadEngine` over the service's store (its
    figures handed to :meth:`LedgerService.accept`), woken by a request that found them missing or every
    ``interval`` seconds."""

    def __init__(self, service: LedgerService, interval: float) -> None:
        self._service = service
        self._interval = interval
        settings = service.settings
        self.engine = HeadEngine(
            service.store,
            service.thresholds,
            settings.metrics_global_interval,
            service.accept,
            settings.metrics_communities_apart_from,
        )
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
        self.engine.stop(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.engine.step()
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
        self._stop_at_exit = False  # whether stop() is registered to run at exit
        # the write end of the child's wake pipe, non-blocking: a wake never blocks the event loop (a full
        # pipe means a wake is pending already), and nothing is shared that a killed child could hold
        self._waker: Connection | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id (None before :meth:`start`)."""
        return None if self._process is None else self._process.pid

    @property
    def daemonic(self) -> bool | None:
        """Whether the child is a daemonic process, which may start none of its own (None before
        :meth:`start`)."""
        return None if self._process is None else self._process.daemon

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
            args=(
                settings.store_url,
                self._service.thresholds,
                self._interval,
                settings.metrics_global_interval,
                theirs,
                woken,
                settings.metrics_communities_apart_from,
            ),
            name="coopledger-metrics-worker",
            # not a daemon: a daemonic process may not start processes, and the worker starts one to find
            # communities (HeadEngine). It ends when this process closes its pipes, even killed; on a normal
            # exit, stop() (registered below) ends it before multiprocessing waits for its children.
            daemon=False,
        )
        self._process.start()
        if not self._stop_at_exit:
            atexit.register(self.stop)
            self._stop_at_exit = True
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


#: The PostgreSQL advisory lock whose holder is the metrics worker that computes the head's figures for
#: every API process on the store ("coopmetr" in ASCII, as a 64-bit key).
LEAD_LOCK = 0x636F6F706D657472


@functools.cache
def _figures_adapter() -> TypeAdapter[HeadFigures]:
    return TypeAdapter(HeadFigures)


def encode_figures(found: HeadFigures) -> str:
    """``found`` as JSON, exactly (infinite spans as ``Infinity``): what the leading worker shares."""
    return pydantic_core.to_json(found, inf_nan_mode="constants").decode()


def decode_figures(text: str) -> HeadFigures:
    """The :class:`HeadFigures` that :func:`encode_figures` wrote."""
    return _figures_adapter().validate_json(text)


def compute_head_figures(
    store_url: str,
    thresholds: AlertThresholds,
    interval: float,
    global_interval: float,
    connection: Connection,
    woken: Connection,
    communities_apart_from: int = COMMUNITIES_APART_FROM,
) -> None:
    """The metrics worker's loop (in the child process), sending each :class:`HeadFigures` on
    ``connection``; it looks at the head when a byte arrives on ``woken`` or every ``interval`` seconds, and
    ends on ``s`` or when the API process is gone (its ends of the pipes closed).

    On a store that several API processes may serve (PostgreSQL), one worker between them computes: the
    holder of the advisory lock :data:`LEAD_LOCK` runs a :class:`HeadEngine` and shares each computation
    through the store (:meth:`~ledger.store.Store.share_figures`); every other worker sends its API process
    the newest shared one. A leader that dies loses its session and the lock with it: the next worker to ask
    leads. Elsewhere (SQLite) the worker always computes.
    """
    store = Store.open(store_url)
    me = f"{socket.gethostname()}:{os.getpid()}"

    def publish(found: HeadFigures) -> None:
        connection.send(found)
        if store.shares_figures:
            try:
                store.share_figures(found.block, found.key, found.global_key, me, encode_figures(found))
            except CoopLedgerError as exc:  # the other processes read the next one
                log.info("head figures not shared: %s", exc)

    engine = HeadEngine(store, thresholds, global_interval, publish, communities_apart_from)
    seen = 0  # the newest shared computation sent, while another worker leads
    try:
        while True:
            try:
                if store.try_lead(LEAD_LOCK):
                    engine.step()
                else:
                    shared = store.shared_figures(seen)
                    if shared is not None:
                        connection.send(decode_figures(shared.figures))
                        seen = shared.id
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
        engine.stop()
        store.close()
