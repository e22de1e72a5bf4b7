"""Size, growth and engagement per period (day, week or month of the blocks' UTC timestamps)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import networkx as nx

__all__ = ["PERIODS", "Period", "PeriodName", "activity", "period_start"]

PeriodName = Literal["day", "week", "month"]
PERIODS: tuple[PeriodName, ...] = ("day", "week", "month")


def period_start(timestamp: int, period: PeriodName) -> int:
    """The UTC timestamp at which the period holding ``timestamp`` starts (weeks start on Monday)."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return int(day.timestamp())


@dataclass
class Period:
    """One period's activity. ``members`` counts members admitted up to its end (exits not subtracted:
    growth of the consortium's reach); ``growth_rate`` is ``new_members / members at the period's start``
    (``None`` when there were none). ``active_members`` took part in at least one interaction (an edge of
    the graph) in the period; ``interactions_per_member`` = interactions / active members."""

    start: int
    new_members: int = 0
    members: int = 0
    growth_rate: float | None = None
    new_agreements: int = 0
    new_referrals: int = 0
    interactions: int = 0
    active_members: int = 0
    interactions_per_member: float | None = None


def activity(graph: nx.MultiDiGraph[str], period: PeriodName = "month") -> list[Period]:
    """Every period from the first admission to the last interaction in ``graph`` (an as-of view counts up
    to its height), oldest first; periods without activity are included with zeros. O(n + m)."""
    periods: dict[int, Period] = {}
    active: dict[int, set[str]] = {}

    def at(timestamp: int) -> Period:
        start = period_start(timestamp, period)
        return periods.setdefault(start, Period(start))

    for _, node in graph.nodes(data=True):
        if node.get("member") and node.get("joined_at") is not None:
            at(node["joined_at"]).new_members += 1
    agreements_seen: set[int] = set()
    for u, v, data in graph.edges(data=True):
        bucket = at(data["timestamp"])
        kind = data["kind"]
        if kind == "agreement":
            if data["agreement_id"] in agreements_seen:
                continue  # one interaction per agreement, not one per pair of parties
            agreements_seen.add(data["agreement_id"])
            bucket.new_agreements += 1
        elif kind == "referral":
            bucket.new_referrals += 1
        bucket.interactions += 1
        active.setdefault(bucket.start, set()).update((u, v))
    if not periods:
        return []
    members_so_far = 0
    filled = []
    start = min(periods)
    while start <= max(periods):
        current = periods.get(start, Period(start))
        current.growth_rate = current.new_members / members_so_far if members_so_far else None
        members_so_far += current.new_members
        current.members = members_so_far
        participants = {node for node in active.get(start, ()) if graph.nodes[node].get("member")}
        current.active_members = len(participants)
        if participants:
            current.interactions_per_member = current.interactions / len(participants)
        filled.append(current)
        start = period_start(start + _longest(period), period)
    return filled


def _longest(period: PeriodName) -> int:
    return {"day": 86_400, "week": 7 * 86_400, "month": 31 * 86_400}[period]
