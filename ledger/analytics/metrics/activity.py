"""Size, growth and engagement per period (day, week or month of the blocks' UTC timestamps)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import networkx as nx

__all__ = ["PERIODS", "ActivityBook", "Period", "PeriodName", "activity", "period_start"]

PeriodName = Literal["day", "week", "month"]
PERIODS: tuple[PeriodName, ...] = ("day", "week", "month")


_DAY = 86_400
_THURSDAY = 3  # 1 January 1970, day 0 of the Unix epoch, was a Thursday (Monday is 0)


def period_start(timestamp: int, period: PeriodName) -> int:
    """The UTC timestamp at which the period holding ``timestamp`` starts (weeks start on Monday).

    Days and weeks by arithmetic on whole UTC days (a UTC day starts at a multiple of 86 400 s); a month
    start is looked up per day (the calendar's), once. Every fact asks this for each period: at a million
    events the calendar arithmetic alone took seconds."""
    day = timestamp // _DAY
    if period == "day":
        return day * _DAY
    if period == "week":
        return (day - (day + _THURSDAY) % 7) * _DAY
    return _month_start(day)


@functools.lru_cache(maxsize=4096)
def _month_start(day: int) -> int:
    moment = datetime.fromtimestamp(day * _DAY, UTC)
    return int(moment.replace(day=1).timestamp())


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
    book = ActivityBook(period)
    for address, node in graph.nodes(data=True):
        if node.get("member") and node.get("joined_at") is not None:
            book.admitted(address, node["joined_at"])
    for u, v, data in graph.edges(data=True):
        book.interaction(u, v, data)
    return book.periods()


class ActivityBook:
    """The counts behind :func:`activity` for one period length, kept up to date as facts arrive in any order
    (an admission after the member's first interactions, a member admitted again after it exited): each fact
    is O(1), except a member's first admission, O(periods it was active in). :meth:`periods` is O(periods).
    """

    def __init__(self, period: PeriodName) -> None:
        self.period: PeriodName = period
        self._counts: dict[int, Period] = {}
        self._active: dict[int, set[str]] = {}  # period start -> addresses that took part in an interaction
        self._active_members: dict[int, int] = {}  # period start -> how many of them are members
        self._periods_of: dict[str, list[int]] = {}  # address -> the periods it took part in
        self._joined: dict[str, int] = {}  # member -> its (latest) admission's timestamp
        self._agreements: set[int] = set()

    def _at(self, timestamp: int) -> Period:
        start = period_start(timestamp, self.period)
        counted = self._counts.get(start)
        if counted is None:  # not setdefault: it would build a Period for every fact
            counted = self._counts[start] = Period(start)
        return counted

    def admitted(self, member: str, joined_at: int) -> None:
        """``member`` was admitted at ``joined_at`` (one admitted again counts at its latest admission)."""
        earlier = self._joined.get(member)
        if earlier is not None:
            self._at(earlier).new_members -= 1
        else:
            for start in self._periods_of.get(member, ()):
                self._active_members[start] += 1
        self._joined[member] = joined_at
        self._at(joined_at).new_members += 1

    def interaction(self, u: str, v: str, data: dict[str, Any]) -> None:
        """The graph's edge ``u -> v``. An agreement is one interaction however many pairs of parties it has,
        and every party took part in it."""
        kind = data["kind"]
        bucket = self._at(data["timestamp"])
        if kind != "agreement" or data["agreement_id"] not in self._agreements:
            if kind == "agreement":
                self._agreements.add(data["agreement_id"])
                bucket.new_agreements += 1
            elif kind == "referral":
                bucket.new_referrals += 1
            bucket.interactions += 1
        active = self._active.get(bucket.start)
        if active is None:
            active = self._active[bucket.start] = set()
        for node in (u, v):
            if node not in active:
                active.add(node)
                self._periods_of.setdefault(node, []).append(bucket.start)
                members = self._active_members.get(bucket.start, 0)
                self._active_members[bucket.start] = members + (node in self._joined)

    def periods(self) -> list[Period]:
        """Every period from the first with an admission or interaction to the last, oldest first, periods
        without either filled in with zeros (fresh objects: the book's counts are never handed out)."""
        used = [start for start, count in self._counts.items() if count.new_members or count.interactions]
        if not used:
            return []
        members_so_far = 0
        filled = []
        start, last = min(used), max(used)
        while start <= last:
            counted = self._counts.get(start, Period(start))
            current = Period(
                start,
                new_members=counted.new_members,
                new_agreements=counted.new_agreements,
                new_referrals=counted.new_referrals,
                interactions=counted.interactions,
            )
            current.growth_rate = current.new_members / members_so_far if members_so_far else None
            members_so_far += current.new_members
            current.members = members_so_far
            current.active_members = self._active_members.get(start, 0)
            if current.active_members:
                current.interactions_per_member = current.interactions / current.active_members
            filled.append(current)
            start = period_start(start + _longest(self.period), self.period)
        return filled


def _longest(period: PeriodName) -> int:
    return {"day": 86_400, "week": 7 * 86_400, "month": 31 * 86_400}[period]
