"""What the API's routes read: the store, the graph kept in step with it, and the per-height metrics cache.

One :class:`LedgerService` per process. The store is the source of truth; the graph is synced from it when
the indexed head has moved; every metric is computed once per *height key* and then served from the cache.

A height key is ``(block, hash of the newest stored block at or below it)``: the same block answered again
reuses the cached figures, while a reorganisation that rewrote history below that block changes the hash and
so the key. Cold computations read the graph under one lock (the graph is not safe to read while it syncs);
warm answers take no lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from starlette.concurrency import run_in_threadpool

from api.settings import ApiSettings
from ledger.analytics.exports import GraphFormat, GraphView, graph_view, serialise_graph
from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.activity import Period, PeriodName, activity
from ledger.analytics.metrics.alerts import Alert, AlertThresholds
from ledger.analytics.metrics.referrals import ReferralSummary, referral_stats
from ledger.analytics.metrics.report import (
    MemberStanding,
    MetricsCache,
    NetworkReport,
    ValueReport,
    alerts_report,
    member_standing,
    network_report,
    value_report,
)
from ledger.analytics.metrics.views import Snapshot, snapshot
from ledger.exceptions import CoopLedgerError, StoreError
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import EventDecoder
from ledger.protocol.manifest import DeploymentManifest
from ledger.store import Store
from ledger.types import Checkpoint

__all__ = ["Height", "HeightError", "LedgerService"]

T = TypeVar("T")

_HEALTH_TIMEOUT_S = 2.0


class HeightError(CoopLedgerError):
    """The height asked for cannot be answered: nothing is indexed yet, or it is above the indexed head.
    ``parameter`` names the request parameter that asked for it (None: the default height)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class Height:
    """The block a request is answered at, and its cache key (see the module's docstring)."""

    block: int
    key: tuple[int, str]


class LedgerService:
    """The store, the graph synced from it, and the metrics cache, shared by every request."""

    def __init__(self, store: Store, settings: ApiSettings, cache_size: int = 64) -> None:
        self.store = store
        self.settings = settings
        self.cache = MetricsCache(cache_size)
        self.thresholds = AlertThresholds(settings.alert_max_hhi, settings.alert_free_rider_ratio)
        self._ledger = LedgerGraph(())
        self._graph_lock = threading.Lock()
        self._head: Checkpoint | None = None
        self._head_read_at = -float("inf")
        self._decoder: tuple[DeploymentManifest, EventDecoder] | None = None

    # --------------------------------------------------------------------------------------- heights

    def head(self) -> Checkpoint | None:
        """The store's checkpoint (the indexed head), read again at most every ``poll_interval`` seconds."""
        now = time.monotonic()
        if now - self._head_read_at >= self.settings.poll_interval:
            self._head = self.store.checkpoint()
            self._head_read_at = now
        return self._head

    def height(self, as_of_block: int | None, parameter: str = "as_of_block") -> Height:
        """The height to answer at: ``as_of_block``, or the indexed head when it is None.

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
            return Height(head.block_number, (head.block_number, head.block_hash))
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
        if as_of_block == head.block_number:
            return Height(as_of_block, (as_of_block, head.block_hash))
        below = self.store.block_at_or_below(as_of_block)
        return Height(as_of_block, (as_of_block, below.hash if below else ""))

    # --------------------------------------------------------------------------------------- metrics

    def cached(self, height: Height, question: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()``'s result for ``question`` at ``height``, computed once per height key."""
        return self.cache.get((*height.key, *question), compute)

    async def answer(
        self, height: Height, question: tuple[object, ...], compute: Callable[[], bytes]
    ) -> bytes:
        """A serialised answer for ``question`` at ``height``: from the cache at once when it is there (the
        warm path takes no thread and no lock), else computed in a worker thread so the event loop stays free.
        """
        found = self.cache.peek((*height.key, *question))
        if isinstance(found, bytes):
            return found
        return await run_in_threadpool(self.cached, height, question, compute)

    def _on_graph(self, height: Height, compute: Callable[[Snapshot], T]) -> T:
        """Run ``compute`` on the snapshot at ``height`` while holding the graph (synced first if behind)."""
        with self._graph_lock:
            if self._ledger.block < height.block or self._ledger.block_hash != self._head_hash():
                kinds = self.store.agreement_kinds()
                if kinds != self._ledger.kinds:  # the first deployment recorded, or a new one
                    self._ledger = LedgerGraph(kinds)
                self._ledger.sync(self.store)
            return compute(snapshot(self._ledger, height.block))

    def _head_hash(self) -> str | None:
        head = self.head()
        return None if head is None else head.block_hash

    def snapshot_figures(self, height: Height) -> tuple[NetworkReport, list[ValueReport], ReferralSummary]:
        """The network report, the value reports (one per asset) and the referral figures at ``height``."""

        def compute() -> tuple[NetworkReport, list[ValueReport], ReferralSummary]:
            return self._on_graph(
                height,
                lambda now: (
                    network_report(now),
                    value_report(now, self.thresholds.free_rider_ratio),
                    referral_stats(now.graph),
                ),
            )

        return self.cached(height, ("figures",), compute)

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
        settings."""
        network, values, _ = self.snapshot_figures(height)
        return self.cached(
            height,
            ("alerts",),
            lambda: self._on_graph(height, lambda now: alerts_report(now, network, values, self.thresholds)),
        )

    def activity(self, height: Height, period: PeriodName) -> list[Period]:
        """:func:`~ledger.analytics.metrics.activity.activity` per ``period`` at ``height``."""
        return self.cached(
            height,
            ("activity", period),
            lambda: self._on_graph(height, lambda now: activity(now.graph, period)),
        )

    def member_standing(self, height: Height, member: str) -> MemberStanding:
        """:func:`~ledger.analytics.metrics.report.member_standing` of ``member`` at ``height``."""
        return self.on_snapshot(height, ("member-standing", member), lambda now: member_standing(now, member))

    def graph_file(self, height: Height, view: GraphView, form: GraphFormat) -> bytes:
        """The network at ``height`` as a ``form`` file of ``view`` (:mod:`ledger.analytics.exports`)."""

        def build() -> bytes:
            report = self.network(height) if view == "ties" else None
            graph = self.on_snapshot(height, ("graph", view), lambda now: graph_view(now, report))
            return serialise_graph(graph, form)

        return self.cached(height, ("graph-file", view, form), build)

    def on_snapshot(
        self, height: Height, question: tuple[object, ...], compute: Callable[[Snapshot], T]
    ) -> T:
        """Any other figure of the snapshot at ``height`` (e.g. one member's), cached under ``question``."""
        return self.cached(height, question, lambda: self._on_graph(height, compute))

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
            self.cache.clear()
            self._head_read_at = -float("inf")
