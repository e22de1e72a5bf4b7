"""What the API's routes read: the store, the graph kept in step with it, and the metrics cache.

One :class:`LedgerService` per process. The store is the source of truth; the graph is synced from it when
the indexed head has moved.

**Figures are keyed by what they depend on, not by the head.** Every figure is a function of the graph at its
height, and the graph changes only with an event the graph reads
(:meth:`~ledger.protocol.events.EventFold.events_read`). A height's *change key* is the block and hash of the
newest such event at or below it: every block from that event up to the next one shares the figures, so an
empty block (or an event no figure reads) computes nothing, while a reorganisation that rewrote that event's
block changes the hash and so the key. Every answer says the height it is for (``block``), the block of the
last change it reflects (``last_change_block``) and how far the indexed head is past it (``behind_head``).

**A request at the head never waits for a recompute.** A metrics worker (:mod:`api.worker`: a child process,
or a thread) keeps the head's figures: the counted ones follow every change in milliseconds, the global ones
are recomputed in the background at most once per ``metrics_global_interval``; each change's figures are sent
here (:meth:`LedgerService.accept`) and answers at the head read them, saying the block their global figures
are at. Until the head's are there, a request that names no height gets the newest complete answer, with its
own ``block`` and ``behind_head``; only the very first request of a process, with nothing complete yet,
waits. An explicit ``as_of_block`` is always answered exactly: every figure computed in full at that height.

Computations run on a frozen copy of the graph at the height (:meth:`LedgerService.snapshot`), taken under
the graph's lock, so a long computation does not hold up the graph's sync or another request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypedDict, TypeVar

import networkx as nx
from starlette.concurrency import run_in_threadpool

from api.settings import ApiSettings
from api.worker import (
    Figures,
    HeadFigures,
    HeadRefresher,
    ProcessRefresher,
    Refresher,
    last_change_key,
    network_figures,
    sync_lean,
)
from ledger.analytics.exports import GraphFormat, GraphView, graph_view, serialise_graph
from ledger.analytics.graph import LedgerGraph, PartnerRating
from ledger.analytics.metrics.activity import Period, PeriodName, activity
from ledger.analytics.metrics.alerts import Alert, AlertThresholds
from ledger.analytics.metrics.loyalty import Loyalty, churn_alerts, loyalty
from ledger.analytics.metrics.recommendations import (
    Backtest,
    Recommendation,
    ResilienceTie,
    backtest_history,
    recommend,
    resilience_ties,
)
from ledger.analytics.metrics.referrals import ReferralSummary
from ledger.analytics.metrics.report import (
    MemberStanding,
    MetricsCache,
    NetworkReport,
    ValueReport,
    alerts_report,
    member_standing,
    structure_report,
)
from ledger.analytics.metrics.running import RunningFigures
from ledger.analytics.metrics.satisfaction import (
    Satisfaction,
    satisfaction,
    satisfaction_alerts,
    standing_ratings,
)
from ledger.analytics.metrics.views import Snapshot, snapshot_of
from ledger.exceptions import CoopLedgerError, StoreError
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import EventDecoder
from ledger.protocol.manifest import DeploymentManifest
from ledger.store import Store, queries
from ledger.types import Checkpoint

__all__ = ["Height", "HeightError", "LedgerService"]

T = TypeVar("T")

log = logging.getLogger(__name__)


_HEALTH_TIMEOUT_S = 2.0


class HeightError(CoopLedgerError):
    """The height asked for cannot be answered: nothing is indexed yet, or it is above the indexed head.
    ``parameter`` names the request parameter that asked for it (None: the default height)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class Stamp(TypedDict):
    """What every metrics answer says about its height (:class:`api.schemas.metrics.AtHeight`)."""

    block: int
    last_change_block: int | None
    behind_head: int


@dataclass(frozen=True)
class Height:
    """The block a request is answered at, its change key (see the module's docstring: the block and hash of
    the last event the graph reads at or below it; ``(-1, "")`` before any), how far the indexed head was
    past it when the request came, and where its global figures come from: ``global_key`` None means
    computed in full at this height (an explicit ``as_of_block``); a change key, that the answer reads the
    head's figures (:class:`~api.worker.HeadFigures`) whose global figures are at that change."""

    block: int
    key: tuple[int, str]
    behind_head: int = 0
    global_key: tuple[int, str] | None = None

    @property
    def at_head(self) -> bool:
        """Whether the answer reads the head's figures kept by the metrics worker."""
        return self.global_key is not None

    def exact(self) -> Height:
        """This height answered with every figure computed in full at it (an export's, a graph file's)."""
        return replace(self, global_key=None)

    def global_last_change_block(self) -> int | None:
        """The block of the last change the answer's global figures reflect (None: no change yet)."""
        block = (self.key if self.global_key is None else self.global_key)[0]
        return block if block >= 0 else None

    @property
    def last_change_block(self) -> int | None:
        """The block of the last change the figures at this height reflect (None: no change yet)."""
        return self.key[0] if self.key[0] >= 0 else None

    def stamp(self) -> Stamp:
        """The fields every metrics answer carries about its height."""
        return Stamp(block=self.block, last_change_block=self.last_change_block, behind_head=self.behind_head)


class LedgerService:
    """The store, the graph synced from it, and the metrics cache, shared by every request."""

    def __init__(self, store: Store, settings: ApiSettings, cache_size: int = 64) -> None:
        self.store = store
        self.settings = settings
        self.cache = MetricsCache(cache_size)
        self.thresholds = AlertThresholds(
            settings.alert_max_hhi,
            settings.alert_free_rider_ratio,
            min_rating_mean=settings.alert_min_rating_mean,
            min_ratings=settings.alert_min_ratings,
            rating_gap=settings.alert_rating_gap,
            max_churn=settings.alert_max_churn,
        )
        self._ledger = LedgerGraph(())
        self._graph_lock = threading.Lock()
        self._snapshots = MetricsCache(2)  # frozen copies of the graph: the head's and the one before
        # the head's members and ties without the facts (:meth:`_ties_snapshot`): what most exact answers
        # at the head's change key need, for the memory of the ties rather than of every fact ever recorded
        self._lean_figures = RunningFigures()
        self._lean = LedgerGraph((), observer=self._lean_figures, keep_facts=False)
        self._ties_snapshots = MetricsCache(2)
        self._people_graphs = MetricsCache(2)  # :meth:`_people_graph`'s copies, per change key
        self._head: Checkpoint | None = None
        self._head_read_at = -float("inf")
        self._change_keys: dict[tuple[int, str], tuple[int, str]] = {}
        self._complete: Height | None = None  # the newest height whose figures are all computed
        self._heads = MetricsCache(8)  # change key -> the head's figures sent by the metrics worker
        self._accepted = threading.Condition()  # notified at each of them
        self._first_complete = threading.Event()
        self._counts: dict[tuple[object, ...], tuple[int, str, int]] = {}  # filter -> (block, hash, count)
        self._pages = MetricsCache(256)  # serialised pages of the history, per head
        # serialised answers, per height: kept apart from the figures, so a quiet chain's new blocks (each
        # a new height, whose answers share the figures) never evict the figures they are made from
        self._answers = MetricsCache(256)
        self._details = MetricsCache(256)  # one member's figures, graph files
        self._decoder: tuple[DeploymentManifest, EventDecoder] | None = None
        interval = max(settings.poll_interval, 0.1)
        self.refresher: Refresher = (
            ProcessRefresher(self, interval)
            if settings.metrics_worker == "process"
            else HeadRefresher(self, interval)
        )

    # --------------------------------------------------------------------------------------- heights

    def head(self) -> Checkpoint | None:
        """The store's checkpoint (the indexed head), read again at most every ``poll_interval`` seconds."""
        now = time.monotonic()
        if now - self._head_read_at >= self.settings.poll_interval:
            self._head = self.store.checkpoint()
            self._head_read_at = now
        return self._head

    def height(self, as_of_block: int | None, parameter: str = "as_of_block") -> Height:
        """The height to answer at: ``as_of_block`` exactly, or — when it is None — the indexed head if its
        figures are computed, else the newest height whose figures are (see the module's docstring).

        Raises
        ------
        HeightError
            If nothing is indexed yet or ``as_of_block`` is above the indexed head (the message names the
            request's ``parameter``).
        """
        head = self.head()
        if head is None:
            raise HeightError("Nothing is indexed yet: run `coopledger index` and ask again.")
        if as_of_block is None:
            return self._head_height(head)
        if as_of_block > head.block_number:
            self._head_read_at = -float("inf")  # the indexer may have moved on since the last read
            head = self.head()
            assert head is not None
        if as_of_block > head.block_number:
            raise HeightError(
                f"{parameter} {as_of_block} is above the indexed head {head.block_number}; "
                "ask for a block at or below it.",
                parameter,
            )
        return Height(as_of_block, self.change_key(as_of_block, head), head.block_number - as_of_block)

    def change_key(self, block: int, head: Checkpoint) -> tuple[int, str]:
        """``block``'s change key while ``head`` is the indexed head (one query per block and head)."""
        memo = (block, head.block_hash)
        found = self._change_keys.get(memo)
        if found is None:
            if len(self._change_keys) > 256:
                self._change_keys.clear()
            found = last_change_key(self.store, block)
            self._change_keys[memo] = found
        return found

    def _head_height(self, head: Checkpoint) -> Height:
        complete = self._complete
        if complete is not None and complete.block > head.block_number:
            self._head_read_at = -float("inf")  # the worker has seen a newer head than this process
            head = self.head() or head
        fresh = Height(head.block_number, self.change_key(head.block_number, head))
        kept = self._heads.peek(fresh.key)
        if isinstance(kept, HeadFigures):
            return replace(fresh, global_key=kept.global_key)
        if self.ready(fresh):
            return fresh
        self.refresher.wake()
        if complete is None or complete.block > head.block_number:
            return fresh  # nothing complete yet (or the store was rolled back below it): compute now
        if self.change_key(complete.block, head) != complete.key:
            return fresh  # a reorganisation rewrote what it reflects
        return replace(complete, behind_head=head.block_number - complete.block)

    async def first_figures(self, timeout: float = 120.0) -> None:
        """Until the head's figures are complete once, wait (without holding the event loop) for the metrics
        worker to send them: computing them in this process too would hold its interpreter lock for seconds
        and leave its memory with a second graph. Returns at once after that, with the thread refresher, or
        if the worker is not running (the request then computes them here)."""
        if self._complete is not None or not self.refresher.running or self.head() is None:
            return
        await run_in_threadpool(self._first_complete.wait, timeout)

    def ready(self, height: Height) -> bool:
        """Whether the network-wide figures (network, values, referrals) are computed for ``height``'s change
        key, in full or by the metrics worker: everything else at the head is computed from them, or from the
        graph, in far less time."""
        return (
            self._heads.peek(height.key) is not None or self.cache.peek((*height.key, "figures")) is not None
        )

    # --------------------------------------------------------------------------------------- metrics

    def cached(self, height: Height, question: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``question`` at ``height``, computed once per change key."""
        return self.cache.get((*height.key, *question), compute)

    async def answer(
        self, height: Height, question: tuple[object, ...], compute: Callable[[], bytes]
    ) -> bytes:
        """A serialised answer for ``question`` at ``height``: from the cache at once when it is there (the
        warm path takes no thread and no lock), else built in a worker thread so the event loop stays free.

        The answer is built once per change key (and global figures' key): every height that shares them
        has the same figures, so a new block without a change costs no rebuild — the kept answer's leading
        height fields (:class:`Stamp`, which every metrics answer begins with) are rewritten for ``height``.
        """
        key = (height.global_key, *height.key, *question)
        body = await _cached_bytes(self._answers, key, compute)
        return restamp(body, height)

    def snapshot(self, height: Height) -> Snapshot:
        """A frozen copy of the graph at ``height`` (synced first if the graph is behind), one per change key:
        a computation on it holds no lock."""

        def freeze() -> Snapshot:
            log.info("graph snapshot at block %d taken in the API process", height.block)
            with self._graph_lock:
                if self._ledger.block < height.block or self._ledger.block_hash != self._head_hash():
                    kinds = self.store.agreement_kinds()
                    if kinds != self._ledger.kinds:  # the first deployment recorded, or a new one
                        self._ledger = LedgerGraph(kinds)
                    self._ledger.sync(self.store)
                frozen = self._ledger.as_of(height.block).copy()
            return snapshot_of(frozen, height.block)

        return self._snapshots.get(height.key, freeze)

    def _on_graph(self, height: Height, compute: Callable[[Snapshot], T]) -> T:
        """Run ``compute`` on the snapshot at ``height``."""
        return compute(self.snapshot(height))

    def _on_ties(self, height: Height, compute: Callable[[Snapshot], T]) -> T:
        """Run ``compute``, which reads only the snapshot's members and ties (never its facts), on the head's
        members and ties when ``height`` has the head's change key, else on the snapshot at ``height``."""
        lean = self._ties_snapshot(height)
        return compute(lean if lean is not None else self.snapshot(height))

    def warm_up(self) -> None:
        """Build this process's facts-free graph in the background (a daemon thread), so that the first
        member profile or graph file at the head does not wait for it (seconds at scale)."""

        def build() -> None:
            try:
                with self._graph_lock:
                    self._sync_lean()
            except CoopLedgerError as exc:  # the store is down, say: the first request builds it
                log.info("the head's ties not built ahead: %s", exc)

        threading.Thread(target=build, name="coopledger-warm-up", daemon=True).start()

    def _sync_lean(self) -> None:
        """Bring the facts-free graph up to the store's head (under the graph's lock)."""
        self._lean, self._lean_figures = sync_lean(self.store, self._lean, self._lean_figures)

    def _ties_snapshot(self, height: Height) -> Snapshot | None:
        """The members and tie graph at ``height`` (its facts graph left empty) from the graph this process
        keeps without facts, if ``height`` has the change key of that graph's block; else None."""
        found = self._ties_snapshots.peek(height.key)
        if isinstance(found, Snapshot):
            return replace(found, block=height.block)
        with self._graph_lock:
            self._sync_lean()
            if self._lean.block < height.block or last_change_key(self.store, self._lean.block) != height.key:
                return None
            lean = Snapshot(
                height.block, nx.MultiDiGraph(), self._lean_figures.members(), self._lean_figures.tie_graph()
            )
        self._ties_snapshots.put(height.key, lean)
        return lean

    def _head_hash(self) -> str | None:
        head = self.head()
        return None if head is None else head.block_hash

    def snapshot_figures(self, height: Height) -> Figures:
        """The network report, the value reports (one per asset) and the referral figures at ``height``: the
        head's as the metrics worker keeps them, or computed in full at an explicit height."""
        if height.at_head:
            return self._head_figures(height).figures

        def compute() -> Figures:
            counted = self._heads.peek(height.key)
            if isinstance(counted, HeadFigures) and counted.global_key != height.key:
                counted = self._worker_global(height.key) or counted
            if isinstance(counted, HeadFigures) and counted.global_key == height.key:
                return counted.figures  # the worker's, complete at this change key: the full computation's
            lean = self._ties_snapshot(height) if isinstance(counted, HeadFigures) else None
            if isinstance(counted, HeadFigures) and lean is not None:
                # the worker's counted figures at this change key are the full computation's: only the
                # global ones are computed, on the head's ties
                network = structure_report(height.block, lean.members, lean.ties)
                values = [replace(report, block=height.block) for report in counted.figures[1]]
                return network, values, counted.figures[2]
            return self._on_graph(height, lambda now: network_figures(now, self.thresholds))

        found = self.cached(height, ("figures",), compute)
        self._note_complete(height)
        return found

    def _worker_global(self, key: tuple[int, str]) -> HeadFigures | None:
        """The worker's figures for change key ``key`` once its global figures are computed for it, waited
        for while the head stays at ``key`` and the worker runs in its own process (computing them here too
        would double the work and hold this process's interpreter lock); None if it stops or moves on."""
        deadline = time.monotonic() + self.settings.metrics_global_interval + 300
        with self._accepted:
            while True:
                found = self._heads.peek(key)
                if isinstance(found, HeadFigures) and found.global_key == key:
                    return found
                complete = self._complete
                if not self.refresher.running or complete is None or complete.key != key:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._accepted.wait(min(remaining, 1.0))

    def _head_figures(self, height: Height) -> HeadFigures:
        found = self._heads.peek(height.key)
        if not isinstance(found, HeadFigures):  # evicted since the height was chosen: a newer head is kept
            raise StoreError("The head moved on while this request was answered: ask again.")
        return found

    def accept(self, found: HeadFigures) -> None:
        """Keep the head's figures sent by the metrics worker (:mod:`api.worker`) for their change key. When
        their global figures are at the same change key, they are the full computation's (a property test
        checks it) and also answer every explicit height of that key."""
        self._heads.put(found.key, found)
        with self._accepted:
            self._accepted.notify_all()
        if found.global_key == found.key:
            self.cache.put((*found.key, "figures"), found.figures)
            self.cache.put((*found.key, "alerts"), found.alerts)
            for period, periods in found.activity.items():
                self.cache.put((*found.key, "activity", period), periods)
        self._note_complete(Height(found.block, found.key, global_key=found.global_key))

    def _note_complete(self, height: Height) -> None:
        complete = self._complete
        if complete is None or height.block >= complete.block:
            self._complete = replace(height, behind_head=0)
            self._first_complete.set()

    def network(self, height: Height) -> NetworkReport:
        """:func:`~ledger.analytics.metrics.report.network_report` at ``height``."""
        return self.snapshot_figures(height)[0]

    def values(self, height: Height) -> list[ValueReport]:
        """:func:`~ledger.analytics.metrics.report.value_report` at ``height``."""
        return self.snapshot_figures(height)[1]

    def referrals(self, height: Height) -> ReferralSummary:
        """:func:`~ledger.analytics.metrics.referrals.referral_stats` at ``height``."""
        return self.snapshot_figures(height)[2]

    def alerts(self, height: Height) -> list[Alert]:
        """:func:`~ledger.analytics.metrics.report.alerts_report` at ``height``, with the thresholds from
        settings, then the alerts about people (:meth:`people_alerts`)."""
        if height.at_head:
            return [*self._head_figures(height).alerts, *self.people_alerts(height)]
        network, values, _ = self.snapshot_figures(height)
        return [
            *self.cached(
                height,
                ("alerts",),
                lambda: self._on_ties(
                    height, lambda now: alerts_report(now, network, values, self.thresholds)
                ),
            ),
            *self.people_alerts(height),
        ]

    def alerts_at_head(self) -> tuple[Checkpoint, list[Alert]] | None:
        """The alerts at the indexed head with that head, once its figures are computed there (the alert
        monitor's question, :mod:`api.notify`); None until they are."""
        head = self.store.checkpoint()
        if head is None:
            return None
        try:
            height = self.height(None)
        except HeightError:
            return None
        if height.block != head.block_number or height.behind_head:
            return None
        return head, self.alerts(height)

    def people_alerts(self, height: Height) -> list[Alert]:
        """What the members say and do, at ``height``: low ratings and ratings far apart
        (:func:`~ledger.analytics.metrics.satisfaction.satisfaction_alerts`), and churn above the level in the
        current or last month (:func:`~ledger.analytics.metrics.loyalty.churn_alerts`, the month of the last
        change's time). Read from the members and ratings only: O(n + r)."""

        def compute() -> list[Alert]:
            graph = self._people_graph(height)
            report = satisfaction(
                graph, height.block, self.thresholds.min_rating_mean, self.thresholds.rating_gap
            )
            found = satisfaction_alerts(
                report, graph, self.thresholds.min_rating_mean, self.thresholds.min_ratings
            )
            now = self._change_time(height)
            return [*found, *churn_alerts(graph, height.block, now, self.thresholds.max_churn)]

        return self.cached(height, ("people-alerts",), compute)

    def satisfaction(self, height: Height) -> Satisfaction:
        """:func:`~ledger.analytics.metrics.satisfaction.satisfaction` at ``height`` (low-rated ties below the
        alerts' mean, far apart by their gap), once per change key."""
        return self.cached(
            height,
            ("satisfaction",),
            lambda: satisfaction(
                self._people_graph(height),
                height.block,
                self.thresholds.min_rating_mean,
                self.thresholds.rating_gap,
            ),
        )

    def standing_ratings(self, height: Height) -> list[PartnerRating]:
        """The ratings that count at ``height`` (:mod:`~ledger.analytics.metrics.satisfaction`)."""
        return self.cached(
            height, ("standing-ratings",), lambda: standing_ratings(self._people_graph(height), height.block)
        )

    def recommendations(self, height: Height, member: str, top: int) -> list[Recommendation]:
        """:func:`~ledger.analytics.metrics.recommendations.recommend` for ``member`` at ``height``, with the
        communities and articulation points of the network report there (the head's global figures, at the
        head), once per change key."""
        report = self.network(height)
        key = ("recommendations", member, top, height.global_key)
        return self.cached(
            height,
            key,
            lambda: self._on_ties(
                height,
                lambda now: recommend(
                    now.ties, member, report.communities.membership, report.articulation_points, top
                ),
            ),
        )

    def resilience_ties(self, height: Height, top: int) -> list[ResilienceTie]:
        """:func:`~ledger.analytics.metrics.recommendations.resilience_ties` at ``height``."""
        return self.cached(
            height,
            ("resilience-ties", top),
            lambda: self._on_ties(height, lambda now: resilience_ties(now.ties, top)),
        )

    def backtest(self, height: Height, share: float) -> Backtest:
        """:func:`~ledger.analytics.metrics.recommendations.backtest_history` up to ``height`` (on the fact
        graph, once per change key and split)."""
        return self.cached(
            height,
            ("backtest", share),
            lambda: self._on_graph(height, lambda now: backtest_history(now.graph, height.block, share)),
        )

    def member_names(self, height: Height) -> dict[str, str]:
        """Every member's name by address at ``height`` (those who left too), once per change key."""
        return self.cached(
            height,
            ("member-names",),
            lambda: {
                address: str(node["name"])
                for address, node in self._people_graph(height).nodes(data=True)
                if node.get("member")
            },
        )

    def _change_time(self, height: Height) -> int:
        """The block time of the last change the figures at ``height`` reflect (0 before any)."""
        changed = self.store.block_at_or_below(height.key[0]) if height.key[0] >= 0 else None
        return changed.timestamp if changed is not None else 0

    def _people_graph(self, height: Height) -> nx.MultiDiGraph[str]:
        """A graph with the members (their status histories) and the ratings at ``height``, its facts maybe
        left out: a copy of this process's facts-free graph when ``height`` has that graph's change key (no
        facts graph is built for it), else the snapshot's. Made once per change key: the satisfaction
        figures, the ratings, the names and the people alerts read the same one."""

        def build() -> nx.MultiDiGraph[str]:
            with self._graph_lock:
                self._sync_lean()
                lean = self._lean
                if lean.block >= height.block and last_change_key(self.store, lean.block) == height.key:
                    frozen: nx.MultiDiGraph[str] = nx.freeze(lean.graph.copy())
                    return frozen
            return self.snapshot(height).graph

        return self._people_graphs.get(height.key, build)

    def loyalty(self, height: Height, period: PeriodName) -> Loyalty:
        """:func:`~ledger.analytics.metrics.loyalty.loyalty` per ``period`` at ``height`` (on the fact graph,
        computed once per change key and period). Tenures run to the time of the last change the figures
        reflect (``height.key``'s block), so every height with the same events has the same figures."""

        def compute(snap: Snapshot) -> Loyalty:
            return loyalty(snap.graph, snap.block, self._change_time(height), period)

        return self.cached(height, ("loyalty", period), lambda: self._on_graph(height, compute))

    def activity(self, height: Height, period: PeriodName) -> list[Period]:
        """:func:`~ledger.analytics.metrics.activity.activity` per ``period`` at ``height``."""
        counted = self._heads.peek(height.key)
        if isinstance(counted, HeadFigures):  # counted at this change key: the full computation's
            return counted.activity[period]
        return self.cached(
            height,
            ("activity", period),
            lambda: self._on_graph(height, lambda now: activity(now.graph, period)),
        )

    def member_standing(self, height: Height, member: str) -> MemberStanding:
        """:func:`~ledger.analytics.metrics.report.member_standing` of ``member`` at ``height``."""
        return self._details.get(
            (*height.key, "member-standing", member),
            lambda: self._on_ties(height, lambda now: member_standing(now, member)),
        )

    def graph_file(self, height: Height, view: GraphView, form: GraphFormat) -> bytes:
        """The network at ``height`` as a ``form`` file of ``view`` (:mod:`ledger.analytics.exports`)."""

        def build() -> bytes:
            if view == "ties":  # members and ties only
                report = self.network(height.exact())
                graph = self._on_ties(height, lambda now: graph_view(now, report))
            else:
                graph = self.on_snapshot(height, ("graph", view), lambda now: graph_view(now, None))
            return serialise_graph(graph, form)

        return self._details.get((*height.key, "graph-file", view, form), build)

    def on_snapshot(
        self, height: Height, question: tuple[object, ...], compute: Callable[[Snapshot], T]
    ) -> T:
        """Any other figure of the snapshot at ``height`` (e.g. one member's), cached under ``question``
        apart from the network-wide figures, so many of them never evict those."""
        return self._details.get((*height.key, *question), lambda: self._on_graph(height, compute))

    # -------------------------------------------------------------------------------------- history

    def history_count(self, selection: queries.EventFilter, head: Checkpoint) -> int:
        """How many stored events up to ``head`` match ``selection``: counted once per filter, then brought
        up to each new head by counting only the blocks since (unless a reorganisation rewrote the block it
        was counted to: then counted again). Work per new head grows with the new events, not the store."""
        memo = self._counts.get(selection.key)
        if memo is not None and (memo[0], memo[1]) == (head.block_number, head.block_hash):
            return memo[2]
        with self.store.reading() as connection:
            if memo is not None and memo[0] < head.block_number and self.store.block_hash(memo[0]) == memo[1]:
                since = selection.within(memo[0] + 1, head.block_number)
                count = memo[2] + queries.event_count(connection, since)
            else:
                count = queries.event_count(connection, selection.within(0, head.block_number))
        if len(self._counts) > 1_024:
            self._counts.clear()
        self._counts[selection.key] = (head.block_number, head.block_hash, count)
        return count

    async def history_answer(self, key: tuple[object, ...], compute: Callable[[], bytes]) -> bytes:
        """A serialised page of the history for ``key`` (which names the head it is for), built once in a
        worker thread and then served at once; kept apart from the figures, so paging never evicts them."""
        return await _cached_bytes(self._pages, key, compute)

    # -------------------------------------------------------------------------------------- facts

    def labels(self, contract: str, enum: str) -> list[str]:
        """``contract``'s ``enum`` members in their one spelling, from the store's recorded deployment (empty
        before anything is indexed, or if the deployment has no such enum)."""
        manifest = self.store.deployment()
        if manifest is None or contract not in manifest.contracts:
            return []
        entry = manifest.contracts[contract]
        return entry.enum_labels(enum) if enum in entry.enums else []

    # -------------------------------------------------------------------------------------- chain

    def decoder(self) -> EventDecoder:
        """A decoder of the contracts the store was indexed from (its recorded deployment), for the audit.

        Raises
        ------
        StoreError
            If the store records no deployment yet.
        """
        manifest = self.store.deployment()
        if manifest is None:
            raise StoreError("The store records no deployment yet: run `coopledger index` first.")
        if self._decoder is None or self._decoder[0] is not manifest:
            self._decoder = (manifest, EventDecoder(manifest))
        return self._decoder[1]

    def chain(self, timeout: float = _HEALTH_TIMEOUT_S) -> ChainReader:
        """A reader of the chain at the settings' RPC URL (the audit verify and health paths only)."""
        return ChainReader(self.settings.rpc_url, timeout=timeout)

    def reload(self) -> None:
        """Forget the graph and every cached figure (after the store's projections were rebuilt)."""
        with self._graph_lock:
            self._ledger = LedgerGraph(())
            self.cache.clear()  # the head's figures (``_heads``) are kept: they are made of events alone
            self._snapshots.clear()
            self._change_keys.clear()
            self._counts.clear()
            self._pages.clear()
            self._answers.clear()
            self._details.clear()
            self._complete = None  # the next head request computes them here (the worker has them already)
            self._head_read_at = -float("inf")


def restamp(body: bytes, height: Height) -> bytes:
    """``body``, a metrics answer's JSON that begins with the :class:`Stamp` fields in their order, with
    those fields for ``height``."""
    if not body.startswith(b'{"block":'):
        raise ValueError("a metrics answer begins with its block")
    rest = body.index(b",", body.index(b'"behind_head":'))
    change = "null" if height.last_change_block is None else str(height.last_change_block)
    stamp = f'{{"block":{height.block},"last_change_block":{change},"behind_head":{height.behind_head}'
    return stamp.encode() + body[rest:]


async def _cached_bytes(cache: MetricsCache, key: tuple[object, ...], compute: Callable[[], bytes]) -> bytes:
    """``compute()``'s bytes for ``key`` from ``cache``: at once when they are there (no thread, no lock),
    else computed once in a worker thread."""
    found = cache.peek(key)
    if isinstance(found, bytes):
        return found
    return await run_in_threadpool(cache.get, key, compute)
