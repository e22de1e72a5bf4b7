"""Referral programs: referrals, conversions, rewards and what a conversion costs, per referrer and program.

Counted from the graph's referral, conversion and reward edges (a voucher's redemption confirms a recorded
referral and pays its reward at once). Rewards are what was *paid* (claimed), in the program's asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import networkx as nx

__all__ = ["ReferralBook", "ReferralStats", "ReferralSummary", "referral_stats"]


@dataclass
class ReferralStats:
    """Referral figures of one referrer, one program, or everything. Reward amounts are per asset."""

    referrals: int = 0
    conversions: int = 0
    conversion_value: dict[str, int] = field(default_factory=dict)
    rewards_paid: dict[str, int] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float | None:
        """Conversions per referral recorded (``None`` with no referral)."""
        return self.conversions / self.referrals if self.referrals else None

    @property
    def cost_per_conversion(self) -> dict[str, float]:
        """Rewards paid per conversion, per asset (empty with no conversion)."""
        if not self.conversions:
            return {}
        return {asset: paid / self.conversions for asset, paid in self.rewards_paid.items()}


@dataclass(frozen=True)
class ReferralSummary:
    """Referral figures in total, per referrer and per program."""

    total: ReferralStats
    per_referrer: dict[str, ReferralStats]
    per_program: dict[int, ReferralStats]


K = TypeVar("K", str, int)


def _add(total: dict[str, int], asset: str, amount: int) -> None:
    total[asset] = total.get(asset, 0) + amount


def referral_stats(graph: nx.MultiDiGraph[str]) -> ReferralSummary:
    """Referral figures from ``graph`` (an as-of view counts up to its height). O(m)."""
    book = ReferralBook()
    for u, v, data in graph.edges(data=True):
        book.add(u, v, data)
    return book.summary()


class ReferralBook:
    """The counts behind :func:`referral_stats`, kept up to date one graph edge at a time (O(1) each).

    :meth:`summary` hands out copies, and copies again only what changed since the last one: the figures of
    a referrer or program nothing happened to are the same objects as in the summary before (never changed
    after they are handed out), so a summary costs O(changes + referrers), not a copy of everything."""

    def __init__(self) -> None:
        self._total = ReferralStats()
        self._per_referrer: dict[str, ReferralStats] = {}
        self._per_program: dict[int, ReferralStats] = {}
        self._changed_referrers: set[str] = set()
        self._changed_programs: set[int] = set()
        self._last: ReferralSummary | None = None

    def add(self, u: str, v: str, data: dict[str, Any]) -> None:
        """Count the graph's edge ``u -> v`` if it is a referral, a conversion or a reward."""
        kind = data["kind"]
        if kind not in ("referral", "conversion", "reward"):
            return
        referrer = v if kind == "reward" else u
        program = data["program_id"]
        targets = (
            self._total,
            self._per_referrer.setdefault(referrer, ReferralStats()),
            self._per_program.setdefault(program, ReferralStats()),
        )
        self._changed_referrers.add(referrer)
        self._changed_programs.add(program)
        for stats in targets:
            if kind == "referral":
                stats.referrals += 1
            elif kind == "conversion":
                stats.conversions += 1
                _add(stats.conversion_value, data["asset"], int(data["amount"]))
            else:
                _add(stats.rewards_paid, data["asset"], int(data["amount"]))

    def summary(self) -> ReferralSummary:
        """The figures so far (copies: the book goes on counting; see the class's docstring)."""
        last = self._last
        if last is not None and not self._changed_referrers and not self._changed_programs:
            return last
        per_referrer = _refreshed(
            last.per_referrer if last else {}, self._per_referrer, self._changed_referrers
        )
        per_program = _refreshed(last.per_program if last else {}, self._per_program, self._changed_programs)
        self._changed_referrers, self._changed_programs = set(), set()
        self._last = ReferralSummary(_copy(self._total), per_referrer, per_program)
        return self._last


def _refreshed(
    before: dict[K, ReferralStats], counts: dict[K, ReferralStats], changed: set[K]
) -> dict[K, ReferralStats]:
    """``before`` (sorted by key) with fresh copies of the ``changed`` keys' ``counts``, sorted by key."""
    found = dict(before)
    new_keys = False
    for key in changed:
        new_keys = new_keys or key not in found
        found[key] = _copy(counts[key])
    return dict(sorted(found.items())) if new_keys else found


def _copy(stats: ReferralStats) -> ReferralStats:
    return ReferralStats(
        stats.referrals, stats.conversions, dict(stats.conversion_value), dict(stats.rewards_paid)
    )
