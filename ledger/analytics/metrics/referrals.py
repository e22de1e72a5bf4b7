"""Referral programs: referrals, conversions, rewards and what a conversion costs, per referrer and program.

Counted from the graph's referral, conversion and reward edges (a voucher's redemption confirms a recorded
referral and pays its reward at once). Rewards are what was *paid* (claimed), in the program's asset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def _add(total: dict[str, int], asset: str, amount: int) -> None:
    total[asset] = total.get(asset, 0) + amount


def referral_stats(graph: nx.MultiDiGraph[str]) -> ReferralSummary:
    """Referral figures from ``graph`` (an as-of view counts up to its height). O(m)."""
    book = ReferralBook()
    for u, v, data in graph.edges(data=True):
        book.add(u, v, data)
    return book.summary()


class ReferralBook:
    """The counts behind :func:`referral_stats`, kept up to date one graph edge at a time (O(1) each)."""

    def __init__(self) -> None:
        self._total = ReferralStats()
        self._per_referrer: dict[str, ReferralStats] = {}
        self._per_program: dict[int, ReferralStats] = {}

    def add(self, u: str, v: str, data: dict[str, Any]) -> None:
        """Count the graph's edge ``u -> v`` if it is a referral, a conversion or a reward."""
        kind = data["kind"]
        if kind not in ("referral", "conversion", "reward"):
            return
        referrer = v if kind == "reward" else u
        targets = (
            self._total,
            self._per_referrer.setdefault(referrer, ReferralStats()),
            self._per_program.setdefault(data["program_id"], ReferralStats()),
        )
        for stats in targets:
            if kind == "referral":
                stats.referrals += 1
            elif kind == "conversion":
                stats.conversions += 1
                _add(stats.conversion_value, data["asset"], int(data["amount"]))
            else:
                _add(stats.rewards_paid, data["asset"], int(data["amount"]))

    def summary(self) -> ReferralSummary:
        """The figures so far (copies: the book goes on counting). O(referrers + programs)."""
        return ReferralSummary(
            _copy(self._total),
            {referrer: _copy(stats) for referrer, stats in sorted(self._per_referrer.items())},
            {program: _copy(stats) for program, stats in sorted(self._per_program.items())},
        )


def _copy(stats: ReferralStats) -> ReferralStats:
    return ReferralStats(
        stats.referrals, stats.conversions, dict(stats.conversion_value), dict(stats.rewards_paid)
    )
