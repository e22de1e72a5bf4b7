"""The figures kept up to date one event at a time: what a request at the moving head reads in milliseconds.

:class:`RunningFigures` watches a :class:`~ledger.analytics.graph.LedgerGraph` (its
:class:`~ledger.analytics.graph.GraphObserver`) and keeps, as each fact and status change arrives, the counts
that these figures are sums of:

- the network's size, ties, density, each member's degree and strength, the isolated members, and the sector
  and region diversity (:data:`~ledger.analytics.metrics.report.RUNNING_NETWORK_FIELDS`);
- value sharing per asset: each member's received, received from members and contributed, the total, and
  what is computed from them (Gini, HHI, free riders, and their alerts);
- the referral figures, and activity per day, week and month.

Each is defined where the full computation is (:mod:`~ledger.analytics.metrics.report` and the modules it
reads), and :mod:`tests.ledger.analytics.metrics.test_running` checks, over random sequences of events, that
they equal it. A fact costs O(1); a member's admission or exit O(its partners + the periods it was active
in). Reading them after facts costs O(n) C-level copying plus O(changed members) Python work for the
per-member tables, and O(n log n) for an asset's inequality figures when its flows changed: each reading
starts from the previous one and redoes only what the facts since then touched. After a member's status
changed, the next reading rebuilds every table (O(n log n)).

The *global* figures — betweenness, PageRank, communities, clustering, constraint, brokers, gaps, bridges,
articulation points — depend on the whole graph and are recomputed on :meth:`RunningFigures.tie_graph`, at
most once per interval (:mod:`api.worker`).

Everything is at the head: the figures of an earlier height come from the full computation on an as-of view.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from ledger.analytics.metrics.activity import PERIODS, ActivityBook, Period, PeriodName
from ledger.analytics.metrics.diversity import Diversity, diversity
from ledger.analytics.metrics.referrals import ReferralBook, ReferralSummary
from ledger.analytics.metrics.report import ValueReport, asset_report
from ledger.analytics.metrics.value import MemberValue
from ledger.analytics.metrics.views import count_fact, new_tie, tie_pair, ties_over

__all__ = ["RunningFigures", "RunningNetwork"]

_ASSET_KINDS = frozenset({"value", "reward", "conversion"})


@dataclass(frozen=True)
class RunningNetwork:
    """The network figures kept one event at a time (the fields of
    :data:`~ledger.analytics.metrics.report.RUNNING_NETWORK_FIELDS`, defined as in
    :class:`~ledger.analytics.metrics.report.NetworkReport`)."""

    members: int
    ties: int
    density: float
    degree: dict[str, float]
    strength: dict[str, int]
    isolated: list[str]
    sector_diversity: Diversity
    region_diversity: Diversity


@dataclass
class _AssetBook:
    """One asset's value flows: sums per member, and per contributor and receiver (to count a contributor's
    past flows as from a member once it is admitted)."""

    total: int = 0
    received: Counter[str] = field(default_factory=Counter)
    from_members: Counter[str] = field(default_factory=Counter)
    contributed: Counter[str] = field(default_factory=Counter)
    sent: dict[str, Counter[str]] = field(default_factory=dict)


class RunningFigures:
    """Figures at the head of a :class:`~ledger.analytics.graph.LedgerGraph` that it is the observer of (see
    the module's docstring)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (the graph was emptied)."""
        self._profiles: dict[str, dict[str, Any]] = {}  # the network's members now (exited left out)
        self._ever_members: set[str] = set()  # addresses ever admitted: a node's ``member`` flag
        self._ties: dict[tuple[str, str], dict[str, Any]] = {}  # every pair's facts, members or not
        self._partners: dict[str, set[str]] = {}
        self._member_partners: Counter[str] = Counter()  # partners that are members now
        self._strength: Counter[str] = Counter()  # summed weight of the ties to members now
        self._tie_count = 0  # ties between two members now
        self._assets: dict[str, _AssetBook] = {}
        self._asset_facts: Counter[str] = Counter()  # value, reward and conversion edges per asset
        self._referrals = ReferralBook()
        self._activity = {period: ActivityBook(period) for period in PERIODS}
        self.facts = 0  # how many facts were counted (the graph's edges)
        # the last readings, and what changed since: each reading redoes only what was touched
        self._network: RunningNetwork | None = None  # None: rebuild (a member's status changed)
        self._touched: set[str] = set()  # members whose degree or strength changed since the last network()
        self._reports: dict[str, ValueReport] = {}  # per asset; emptied when a member's status changed
        self._flows_touched: dict[str, set[str]] = {}  # per asset, members whose flows changed since
        self._free_rider_ratio = float("nan")  # the ratio the kept reports were read with

    # ------------------------------------------------------------------------------ the graph's changes

    def fact_added(self, u: str, v: str, data: dict[str, Any]) -> None:
        """Count the graph's new edge ``u -> v`` into every figure it changes. O(1)."""
        self.facts += 1
        pair = tie_pair(u, v, data)
        if pair is not None:
            self._count_tie(pair, data)
        kind = data["kind"]
        if kind in _ASSET_KINDS and data.get("asset"):
            self._asset_facts[data["asset"]] += 1
        if kind == "value":
            self._count_value(u, v, data["asset"], int(data["amount"]))
        self._referrals.add(u, v, data)
        for book in self._activity.values():
            book.interaction(u, v, data)

    def _count_tie(self, pair: tuple[str, str], data: dict[str, Any]) -> None:
        a, b = pair
        tie = self._ties.get(pair)
        if tie is None:
            tie = self._ties[pair] = new_tie()
            self._partners.setdefault(a, set()).add(b)
            self._partners.setdefault(b, set()).add(a)
            self._member_partners[a] += b in self._profiles
            self._member_partners[b] += a in self._profiles
            self._tie_count += a in self._profiles and b in self._profiles
        count_fact(tie, data)
        self._strength[a] += b in self._profiles
        self._strength[b] += a in self._profiles
        self._touched.update(pair)

    def _count_value(self, contributor: str, party: str, asset: str, amount: int) -> None:
        book = self._assets.get(asset)
        if book is None:  # not setdefault: it would build a book (four Counters) for every fact
            book = self._assets[asset] = _AssetBook()
        book.total += amount
        book.received[party] += amount
        book.contributed[contributor] += amount
        sent = book.sent.get(contributor)
        if sent is None:  # not setdefault: it would build a Counter for every fact
            sent = book.sent[contributor] = Counter()
        sent[party] += amount
        if contributor in self._ever_members:
            book.from_members[party] += amount
        touched = self._flows_touched.get(asset)
        if touched is None:
            touched = self._flows_touched[asset] = set()
        touched.update((contributor, party))

    def status_changed(self, address: str, node: dict[str, Any], admitted: bool) -> None:
        """Follow ``address``'s admission, suspension, reinstatement or exit. O(its partners)."""
        self._network = None  # the members (or a profile) changed: the next readings rebuild their tables
        self._reports.clear()
        if admitted:
            if address not in self._ever_members:
                self._ever_members.add(address)
                for book in self._assets.values():  # its past contributions now count as from a member
                    for party, amount in book.sent.get(address, Counter()).items():
                        book.from_members[party] += amount
            for period_book in self._activity.values():
                period_book.admitted(address, node["joined_at"])
        was_member = address in self._profiles
        is_member = bool(node["member"]) and node["status"] != "exited"
        if is_member:
            self._profiles[address] = {
                "name": node["name"],
                "sector": node["sector"],
                "region": node["region"],
                "status": node["status"],
                "joined_block": node["joined_block"],
                "joined_at": node["joined_at"],
            }
        else:
            self._profiles.pop(address, None)
        if was_member != is_member:
            self._membership_moved(address, 1 if is_member else -1)

    def _membership_moved(self, address: str, sign: int) -> None:
        for partner in self._partners.get(address, ()):
            pair = (address, partner) if (address, partner) in self._ties else (partner, address)
            self._member_partners[partner] += sign
            self._strength[partner] += sign * self._ties[pair]["weight"]
            if partner in self._profiles:
                self._tie_count += sign

    # ------------------------------------------------------------------------------------ the figures

    def network(self) -> RunningNetwork:
        """The network figures now. O(n log n) after a member's status changed; otherwise the previous
        figures with the touched members' degree and strength replaced (O(n) copying, O(touched) work)."""
        previous = self._network
        n = len(self._profiles)
        scale = 1.0 / (n - 1.0) if n > 1 else 0.0
        density = 2 * (self._tie_count / (n * (n - 1))) if n > 1 and self._tie_count else 0.0
        if previous is None:
            members = sorted(self._profiles)
            self._network = RunningNetwork(
                members=n,
                ties=self._tie_count,
                density=density,
                degree={member: self._member_partners[member] * scale for member in members},
                strength={member: self._strength[member] for member in members},
                isolated=[member for member in members if not self._member_partners[member]],
                sector_diversity=diversity(self._profiles[member]["sector"] for member in members),
                region_diversity=diversity(self._profiles[member]["region"] for member in members),
            )
        elif self._touched:
            degree, strength = dict(previous.degree), dict(previous.strength)  # address order kept
            isolated = previous.isolated
            for member in self._touched & self._profiles.keys():
                degree[member] = self._member_partners[member] * scale
                strength[member] = self._strength[member]
                if (not self._member_partners[member]) != (member in isolated):
                    isolated = [member for member in degree if not self._member_partners[member]]
            self._network = replace(
                previous,
                ties=self._tie_count,
                density=density,
                degree=degree,
                strength=strength,
                isolated=isolated,
            )
        self._touched.clear()
        assert self._network is not None
        return self._network

    def values(self, block: int, free_rider_ratio: float) -> list[ValueReport]:
        """Value sharing now, one report per asset, the most used first (as
        :func:`~ledger.analytics.metrics.report.value_report`). An asset whose flows did not change keeps
        its report; one whose flows changed has its touched members' flows replaced and its inequality
        figures recomputed (O(n log n)); after a member's status changed (or with another
        ``free_rider_ratio``), every report is rebuilt (O(assets * n log n))."""
        if free_rider_ratio != self._free_rider_ratio:
            self._reports.clear()
            self._free_rider_ratio = free_rider_ratio
        ranked = sorted(self._asset_facts, key=lambda asset: (-self._asset_facts[asset], asset))
        members: list[str] | None = None
        reports = []
        for asset in ranked:
            book = self._assets.get(asset, _AssetBook())
            previous = self._reports.get(asset)
            touched = self._flows_touched.pop(asset, set())
            if previous is None:
                members = sorted(self._profiles) if members is None else members
                report = asset_report(
                    block,
                    asset,
                    book.total,
                    {member: _flow(book, member) for member in members},
                    free_rider_ratio,
                )
            elif touched:
                flows = dict(previous.members)  # address order kept
                for member in touched & self._profiles.keys():
                    flows[member] = _flow(book, member)
                report = asset_report(block, asset, book.total, flows, free_rider_ratio)
            else:
                report = previous if previous.block == block else replace(previous, block=block)
            self._reports[asset] = report
            reports.append(report)
        return reports

    def referrals(self) -> ReferralSummary:
        """The referral figures now."""
        return self._referrals.summary()

    def activity(self, period: PeriodName) -> list[Period]:
        """Activity per ``period`` up to now."""
        return self._activity[period].periods()

    def tie_graph(self) -> nx.Graph[str]:
        """The tie graph now (:func:`~ledger.analytics.metrics.views.tie_graph`, built from the kept ties:
        O(n + ties), never reading the facts again) — what the global figures are computed on."""
        return ties_over(self._profiles, self._ties)

    def members(self) -> dict[str, dict[str, Any]]:
        """The network's members now with their profiles (a copy)."""
        return {address: dict(profile) for address, profile in self._profiles.items()}


def _flow(book: _AssetBook, member: str) -> MemberValue:
    received, contributed = book.received[member], book.contributed[member]
    return MemberValue(member, received, book.from_members[member], contributed, received - contributed)
