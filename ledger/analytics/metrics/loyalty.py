"""Loyalty, from what is already on chain: churn and tenure, partner retention and repeat referrals, per
period (day, week or month of the blocks' UTC timestamps, as :mod:`~ledger.analytics.metrics.activity`).

All are computed from the fact graph up to a height (an as-of view), in one pass over its nodes and edges
(O(n + m), plus O(n) per period for the members at its start):

- **churn** of a period: the members who left in it (``MemberExited``) over the members at its start
  (admitted before it, not yet left). A suspension is not churn: a suspended member is still a member and
  may be reinstated.
- **tenure**: a member's time from its admission to ``now`` (a member still in) or to its exit (a member that
  left), in days; averaged over each group. The API takes ``now`` as the time of the last change the figures
  reflect, so that every height with the same events has the same figures.
- **partner retention** of a period: the share of the ties active in the previous period that are active
  again in this one. A tie (two members) is *active* in a period when at least one fact between them is
  dated in it — an agreement coming into force, value credited from one's deposit to the other, a referral,
  a conversion or a reward (the tie graph's facts, :data:`~ledger.analytics.metrics.views.TIE_KINDS`) — or
  when both were credited from the same agreement in it (a customer's payment they earned together: most of
  an agreement's revenue comes from outside the consortium). ``None`` when the previous period had no active
  tie.
- **repeat referrals** of a period: the referrals recorded in it by a referrer that had already referred a
  customer to the same sponsor (in any program of that sponsor) before; their share of the period's
  referrals.

- **renewals** of a period: the partnerships renewed in it — an amendment that took effect with a later end
  than the version it replaced (an extension), or an agreement that came into force between the same set of
  parties as an earlier one that had ended by then, its end time passed or terminated (a new agreement after
  the end). Dated by the block that made the renewal; the graph records each as it folds the events
  (:class:`~ledger.analytics.graph.AgreementRenewal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import networkx as nx

from ledger.analytics.graph import renewals_of
from ledger.analytics.metrics.activity import PeriodName, period_start
from ledger.analytics.metrics.alerts import Alert
from ledger.analytics.metrics.views import canonical_order, tie_pair

__all__ = ["Loyalty", "LoyaltyPeriod", "churn_alerts", "loyalty"]

_DAY = 86_400


@dataclass(frozen=True)
class LoyaltyPeriod:
    """One period's loyalty figures (see the module's docstring for each definition)."""

    start: int
    members_at_start: int
    exits: int
    churn_rate: float | None
    active_ties: int
    retained_ties: int  # active in this period and in the previous one
    partner_retention: float | None
    referrals: int
    repeat_referrals: int
    repeat_referral_share: float | None
    renewals: int = 0


@dataclass(frozen=True)
class Loyalty:
    """The loyalty figures up to a height: per period, oldest first (every period from the first admission to
    the last fact or exit, periods without any included), and the tenures at the height's time ``now``."""

    periods: list[LoyaltyPeriod]
    members: int  # members at the height (left ones excluded)
    average_tenure_days: float | None
    left: int  # members that left by the height
    average_tenure_of_those_who_left_days: float | None
    renewals_by_extension: int = 0  # by the height
    renewals_by_new_agreement: int = 0


def loyalty(graph: nx.MultiDiGraph[str], block: int, now: int, period: PeriodName = "month") -> Loyalty:
    """The :class:`Loyalty` of ``graph``: an as-of view at ``block``, whose block time is ``now``."""
    joined, left = _membership(graph, block)
    ties_in: dict[int, set[tuple[str, str]]] = {}
    referrals_in: dict[int, int] = {}
    repeats_in: dict[int, int] = {}
    referred: set[tuple[str, str]] = set()  # (referrer, sponsor) pairs seen so far
    earned: dict[tuple[int, int], set[str]] = {}  # (period, agreement) -> the members credited from it
    for u, v, data in graph.edges(data=True):  # chain order: the graph adds facts as the chain made them
        start = period_start(int(data["timestamp"]), period)
        pair = tie_pair(u, v, data)
        if pair is not None and pair[0] in joined and pair[1] in joined:
            ties_in.setdefault(start, set()).add(pair)
        if data["kind"] == "value" and v in joined:
            earned.setdefault((start, int(data["agreement_id"])), set()).add(v)
        if data["kind"] == "referral":
            referrals_in[start] = referrals_in.get(start, 0) + 1
            if (u, v) in referred:
                repeats_in[start] = repeats_in.get(start, 0) + 1
            referred.add((u, v))

    renewals = [renewal for renewal in renewals_of(graph) if renewal.block <= block]
    renewals_in: dict[int, int] = {}
    for renewal in renewals:
        start = period_start(renewal.timestamp, period)
        renewals_in[start] = renewals_in.get(start, 0) + 1

    for (start, _), parties in earned.items():  # earned together: every pair of them worked together
        ordered = sorted(parties, key=canonical_order)
        active = ties_in.setdefault(start, set())
        active.update((a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :])

    return Loyalty(
        periods=_periods(joined, left, ties_in, referrals_in, repeats_in, period, renewals_in),
        members=len(joined) - len(left),
        average_tenure_days=_mean([now - at for member, at in joined.items() if member not in left]),
        left=len(left),
        average_tenure_of_those_who_left_days=_mean([left[member] - joined[member] for member in left]),
        renewals_by_extension=sum(1 for renewal in renewals if renewal.how == "extension"),
        renewals_by_new_agreement=sum(1 for renewal in renewals if renewal.how == "successor"),
    )


def churn_alerts(
    graph: nx.MultiDiGraph[str], block: int, now: int, max_churn: float, period: PeriodName = "month"
) -> list[Alert]:
    """``high_churn`` for the period holding ``now`` and the one before it, when more than ``max_churn`` of
    the members at its start left in it. Reads the nodes only (O(n) per period): a facts-free graph does."""
    joined, left = _membership(graph, block)
    recent = period_start(period_start(now, period) - 1, period)
    alerts = []
    for found in _periods(joined, left, {}, {}, {}, period):
        if found.start >= recent and found.churn_rate is not None and found.churn_rate > max_churn:
            alerts.append(
                Alert(
                    kind="high_churn",
                    subject=f"{period}:{found.start}",
                    message=(
                        f"{found.exits} of the {found.members_at_start} members at the start of the {period} "
                        f"from {_date(found.start)} left in it ({found.churn_rate:.1%}, above "
                        f"{max_churn:.1%})."
                    ),
                    evidence={
                        "period": period,
                        "start": found.start,
                        "members_at_start": found.members_at_start,
                        "exits": found.exits,
                        "churn_rate": found.churn_rate,
                        "threshold": max_churn,
                    },
                )
            )
    return alerts


def _membership(graph: nx.MultiDiGraph[str], block: int) -> tuple[dict[str, int], dict[str, int]]:
    """Each member's admission time, and the exit time of those that left, by ``block``."""
    joined: dict[str, int] = {}  # member -> admission time
    left: dict[str, int] = {}  # member -> exit time, for those that left by ``block``
    for address, node in graph.nodes(data=True):
        if not node.get("member") or node.get("joined_at") is None or node["joined_block"] > block:
            continue
        joined[address] = int(node["joined_at"])
        changes = zip(node.get("status_history", ()), node.get("status_times", ()), strict=False)
        for (changed_block, status), changed_at in changes:
            if status == "exited" and changed_block <= block:
                left[address] = int(changed_at)
    return joined, left


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")


def _periods(
    joined: dict[str, int],
    left: dict[str, int],
    ties_in: dict[int, set[tuple[str, str]]],
    referrals_in: dict[int, int],
    repeats_in: dict[int, int],
    period: PeriodName,
    renewals_in: dict[int, int] | None = None,
) -> list[LoyaltyPeriod]:
    renewals_in = renewals_in or {}
    exits_in: dict[int, int] = {}
    for at in left.values():
        start = period_start(at, period)
        exits_in[start] = exits_in.get(start, 0) + 1
    used = [period_start(at, period) for at in joined.values()] + [
        *ties_in,
        *referrals_in,
        *exits_in,
        *renewals_in,
    ]
    if not used:
        return []
    found = []
    previous: set[tuple[str, str]] = set()
    start, last = min(used), max(used)
    while start <= last:
        present = sum(1 for member, at in joined.items() if at < start and left.get(member, start) >= start)
        exits = exits_in.get(start, 0)
        active = ties_in.get(start, set())
        retained = len(active & previous)
        referrals = referrals_in.get(start, 0)
        repeats = repeats_in.get(start, 0)
        found.append(
            LoyaltyPeriod(
                start=start,
                members_at_start=present,
                exits=exits,
                churn_rate=exits / present if present else None,
                active_ties=len(active),
                retained_ties=retained,
                partner_retention=retained / len(previous) if previous else None,
                referrals=referrals,
                repeat_referrals=repeats,
                repeat_referral_share=repeats / referrals if referrals else None,
                renewals=renewals_in.get(start, 0),
            )
        )
        previous = active
        start = period_start(start + {"day": 1, "week": 7, "month": 31}[period] * _DAY, period)
    return found


def _mean(seconds: list[int]) -> float | None:
    return sum(seconds) / len(seconds) / _DAY if seconds else None
