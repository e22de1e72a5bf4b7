"""Every metric of the network at one block height, computed once and cached per height.

:func:`network_report`, :func:`value_report` and :func:`alerts_report` compute the figures of one
:class:`~ledger.analytics.metrics.views.Snapshot`; :class:`MetricsCache` keeps the reports of recent heights
so that a service answers repeated questions at the same height without recomputing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import networkx as nx

from ledger.analytics.metrics.alerts import (
    Alert,
    AlertThresholds,
    concentration_alerts,
    free_rider_alerts,
    sector_silo_alerts,
    single_point_of_failure_alerts,
)
from ledger.analytics.metrics.brokerage import Broker, brokers, community_ties, constraint, effective_size
from ledger.analytics.metrics.compiled import CompiledTies
from ledger.analytics.metrics.diversity import Diversity, PartnerDiversity, diversity, partner_diversity
from ledger.analytics.metrics.gaps import Gap, gaps, isolated, peripheral
from ledger.analytics.metrics.network import (
    Betweenness,
    Communities,
    betweenness,
    clustering,
    communities,
    degree,
    density,
    pagerank,
    strength,
)
from ledger.analytics.metrics.resilience import (
    articulation_points,
    bridges,
    connectivity_loss,
    local_bridges,
)
from ledger.analytics.metrics.value import FreeRider, MemberValue, free_riders, gini, hhi, member_values
from ledger.analytics.metrics.views import Snapshot, assets, value_graph

__all__ = [
    "RUNNING_NETWORK_FIELDS",
    "MemberStanding",
    "MetricsCache",
    "NetworkReport",
    "ValueReport",
    "alerts_report",
    "asset_report",
    "member_standing",
    "network_report",
    "structural_alerts",
    "structure_report",
    "value_alerts",
    "value_report",
]

T = TypeVar("T")


@dataclass(frozen=True)
class NetworkReport:
    """The network's structure at ``block``."""

    block: int
    members: int
    ties: int
    density: float
    average_clustering: float
    clustering: dict[str, float]
    degree: dict[str, float]
    strength: dict[str, int]
    pagerank: dict[str, float]
    betweenness: Betweenness
    communities: Communities
    community_ties: list[tuple[int, int, int]]  # (community, community, ties between them), ascending
    constraint: dict[str, float | None]
    effective_size: dict[str, float | None]
    brokers: list[Broker]
    sector_diversity: Diversity
    region_diversity: Diversity
    sector_gaps: list[Gap]
    region_gaps: list[Gap]
    community_gaps: list[Gap]
    isolated: list[str]
    peripheral: list[str]
    articulation_points: list[str]
    bridges: list[tuple[str, str]]
    local_bridges: list[tuple[str, str, float]]


#: The fields of :class:`NetworkReport` kept up to date one event at a time at the head
#: (:mod:`ledger.analytics.metrics.running`); every other field is a *global* figure, recomputed at the
#: head at most once per interval (``metrics_global_interval``).
RUNNING_NETWORK_FIELDS = (
    "members",
    "ties",
    "density",
    "degree",
    "strength",
    "isolated",
    "sector_diversity",
    "region_diversity",
)


def network_report(snapshot: Snapshot, gap_at_most: int = 1) -> NetworkReport:
    """Every structural metric of ``snapshot`` (see each function for its definition)."""
    return structure_report(snapshot.block, snapshot.members, snapshot.ties, gap_at_most)


def structure_report(
    block: int,
    members: dict[str, dict[str, Any]],
    ties: nx.Graph[str],
    gap_at_most: int = 1,
    compiled: CompiledTies | None = None,
    communities_found: Callable[[], Communities] | None = None,
) -> NetworkReport:
    """Every structural metric of the tie graph ``ties`` over ``members`` at ``block``.

    ``compiled`` is ``ties`` compiled once (:class:`CompiledTies`), compiled here if not given.
    ``communities_found`` returns ``ties``'s :func:`communities` (by default computed here): the metrics
    worker has another process find them while this one computes every figure that does not depend on them
    (the same figures, sooner on two cores).
    """
    compiled = compiled if compiled is not None else CompiledTies.of(ties)
    average, local = clustering(ties, compiled)
    constraints, sizes = constraint(ties, compiled), effective_size(ties)
    rank, between_members = pagerank(ties), betweenness(ties, compiled=compiled)
    sector_gaps = gaps(ties, {member: p["sector"] for member, p in members.items()}, gap_at_most)
    region_gaps = gaps(ties, {member: p["region"] for member, p in members.items()}, gap_at_most)
    cut_members, cut_ties = articulation_points(ties, compiled), bridges(ties, compiled)
    weak_ties = local_bridges(ties)
    found = communities_found() if communities_found is not None else communities(ties)  # last: see above
    community_of = {member: f"community {index}" for member, index in found.membership.items()}
    between = community_ties(ties, found.membership)
    return NetworkReport(
        block=block,
        members=ties.number_of_nodes(),
        ties=ties.number_of_edges(),
        density=density(ties),
        average_clustering=average,
        clustering=local,
        degree=degree(ties),
        strength=strength(ties),
        pagerank=rank,
        betweenness=between_members,
        communities=found,
        community_ties=[(a, b, count) for (a, b), count in sorted(between.items())],
        constraint=constraints,
        effective_size=sizes,
        brokers=brokers(ties, found.membership, constraints, sizes),
        sector_diversity=diversity(members[member]["sector"] for member in sorted(members)),
        region_diversity=diversity(members[member]["region"] for member in sorted(members)),
        sector_gaps=sector_gaps,
        region_gaps=region_gaps,
        community_gaps=gaps(ties, community_of, gap_at_most),
        isolated=isolated(ties),
        peripheral=peripheral(ties),
        articulation_points=cut_members,
        bridges=cut_ties,
        local_bridges=weak_ties,
    )


@dataclass(frozen=True)
class MemberStanding:
    """One member's profile, its partners' diversity and what the network's connectivity loses if it left."""

    name: str
    sector: str
    region: str
    partner_diversity: PartnerDiversity
    connectivity_share: float


def member_standing(snapshot: Snapshot, member: str) -> MemberStanding:
    """``member``'s standing at ``snapshot`` (:func:`~ledger.analytics.metrics.diversity.partner_diversity`,
    :func:`~ledger.analytics.metrics.resilience.connectivity_loss`). O(n + m)."""
    profile = snapshot.members[member]
    return MemberStanding(
        name=str(profile.get("name") or ""),
        sector=str(profile.get("sector") or ""),
        region=str(profile.get("region") or ""),
        partner_diversity=partner_diversity(snapshot.ties, member),
        connectivity_share=connectivity_loss(snapshot.ties, member)[0],
    )


@dataclass(frozen=True)
class ValueReport:
    """Value sharing in one asset at ``block``."""

    block: int
    asset: str
    total: int
    members: dict[str, MemberValue]
    gini_received: float
    hhi_received: float
    free_riders: list[FreeRider]


def value_report(snapshot: Snapshot, free_rider_ratio: float = 3.0) -> list[ValueReport]:
    """Value sharing of ``snapshot``, one report per asset (the most used first)."""
    reports = []
    for asset in assets(snapshot.graph):
        values = value_graph(snapshot.graph, asset)
        total = sum(int(data["amount"]) for _, _, data in values.edges(data=True))
        flows = member_values(values, sorted(snapshot.members))
        reports.append(asset_report(snapshot.block, asset, total, flows, free_rider_ratio))
    return reports


def asset_report(
    block: int, asset: str, total: int, flows: dict[str, MemberValue], free_rider_ratio: float
) -> ValueReport:
    """The :class:`ValueReport` of ``asset`` from its ``total`` and each member's ``flows`` (in the order the
    inequality figures are summed in: sorted by address). O(n log n)."""
    received = [flow.received for flow in flows.values()]
    return ValueReport(
        block=block,
        asset=asset,
        total=total,
        members=flows,
        gini_received=gini(received),
        hhi_received=hhi(received),
        free_riders=free_riders(flows.values(), free_rider_ratio),
    )


def alerts_report(
    snapshot: Snapshot, network: NetworkReport, values: list[ValueReport], thresholds: AlertThresholds
) -> list[Alert]:
    """Every alert at ``snapshot``'s height (see :mod:`ledger.analytics.metrics.alerts`)."""
    failures, silos = structural_alerts(snapshot.ties, network)
    return [*failures, *value_alerts(values, thresholds), *silos]


def structural_alerts(ties: nx.Graph[str], network: NetworkReport) -> tuple[list[Alert], list[Alert]]:
    """The alerts read from the network's structure (global figures): single points of failure, and members
    with no partner outside their sector."""
    return single_point_of_failure_alerts(ties, network.articulation_points), sector_silo_alerts(ties)


def value_alerts(values: list[ValueReport], thresholds: AlertThresholds) -> list[Alert]:
    """The alerts read from value sharing (running figures): concentration and free riders, per asset."""
    found = []
    for report in values:
        received = {member: flow.received for member, flow in report.members.items()}
        found += concentration_alerts(report.asset, received, thresholds.max_hhi)
        found += free_rider_alerts(
            report.free_riders, report.members, report.asset, thresholds.free_rider_ratio
        )
    return found


class MetricsCache:
    """Results computed once per (block height, question), the ``size`` most recent kept; thread-safe: two
    requests for the same figure at the same height compute it once."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._results: OrderedDict[tuple[object, ...], object] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[tuple[object, ...], threading.Lock] = {}
        self.computed = 0  # how many results were computed (not served from the cache)

    def peek(self, key: tuple[object, ...]) -> object | None:
        """The result for ``key`` if it is already computed, else None (never computes, never waits)."""
        with self._lock:
            return self._results.get(key)

    def put(self, key: tuple[object, ...], result: object) -> None:
        """Keep ``result`` for ``key``, computed elsewhere (e.g. by another process)."""
        with self._lock:
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self._size:
                self._results.popitem(last=False)

    def clear(self) -> None:
        """Forget every result (e.g. after the store's history was rebuilt)."""
        with self._lock:
            self._results.clear()

    def get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """The result for ``key`` (its first element the block height), computing it the first time."""
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]  # type: ignore[return-value]
            pending = self._pending.setdefault(key, threading.Lock())
        with pending:
            with self._lock:
                if key in self._results:
                    return self._results[key]  # type: ignore[return-value]
            result = compute()
            with self._lock:
                self._results[key] = result
                self.computed += 1
                while len(self._results) > self._size:
                    self._results.popitem(last=False)
                self._pending.pop(key, None)
        return result
