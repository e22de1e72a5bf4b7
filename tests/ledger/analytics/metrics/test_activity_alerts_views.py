"""Growth and engagement per period, alerts with their evidence, the member/tie views, the cache."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from ledger.analytics.metrics.activity import activity, period_start
from ledger.analytics.metrics.alerts import (
    concentration_alerts,
    sector_silo_alerts,
    single_point_of_failure_alerts,
)
from ledger.analytics.metrics.network import betweenness, communities, pagerank
from ledger.analytics.metrics.report import MetricsCache
from ledger.analytics.metrics.resilience import articulation_points
from ledger.analytics.metrics.views import members_at, tie_graph
from tests.ledger.analytics.metrics.small_network import small_ties


def _ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, 12, tzinfo=UTC).timestamp())


def _member(graph: nx.MultiDiGraph[str], address: str, block: int, joined_at: int, **extra: object) -> None:
    history = [(block, "active"), *extra.pop("history", [])]  # type: ignore[misc]
    graph.add_node(
        address,
        member=True,
        name=address.upper(),
        sector=extra.pop("sector", "bakery"),
        region="north",
        status=history[-1][1],
        status_history=history,
        joined_block=block,
        joined_at=joined_at,
        first_block=block,
    )


def _edge(
    graph: nx.MultiDiGraph[str], u: str, v: str, key: str, kind: str, block: int, when: int, **extra: object
) -> None:
    graph.add_edge(
        u, v, key=key, kind=kind, block=block, timestamp=when, amount=extra.pop("amount", 0), **extra
    )


def test_period_starts() -> None:
    wednesday = _ts(2026, 4, 15)
    assert period_start(wednesday, "day") == int(datetime(2026, 4, 15, tzinfo=UTC).timestamp())
    assert period_start(wednesday, "week") == int(datetime(2026, 4, 13, tzinfo=UTC).timestamp())
    assert period_start(wednesday, "month") == int(datetime(2026, 4, 1, tzinfo=UTC).timestamp())


def test_period_starts_are_the_calendars_at_every_moment() -> None:
    """The arithmetic on whole days equals the calendar's, at day boundaries and a second either side,
    over every weekday and month of several years (leap years among them)."""

    def by_calendar(timestamp: int, period: str) -> int:
        day = datetime.fromtimestamp(timestamp, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        if period == "week":
            day -= timedelta(days=day.weekday())
        elif period == "month":
            day = day.replace(day=1)
        return int(day.timestamp())

    rng = random.Random(19)
    midnights = range(_ts(2023, 12, 25), _ts(2029, 1, 8), 86_400)
    moments = [t + offset for t in midnights for offset in (-1, 0, 1)]
    moments += [rng.randrange(0, 2**32) for _ in range(2_000)]
    for moment in moments:
        for period in ("day", "week", "month"):
            assert period_start(moment, period) == by_calendar(moment, period), (moment, period)


def test_growth_and_engagement_per_month_with_quiet_months_kept() -> None:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for address in ("a", "b"):
        _member(graph, address, 1, _ts(2026, 1, 5))
    _member(graph, "c", 9, _ts(2026, 3, 2))
    jan, mar = _ts(2026, 1, 20), _ts(2026, 3, 9)
    _edge(graph, "a", "b", "agreement:1", "agreement", 2, jan, agreement_id=1)
    _edge(graph, "b", "a", "agreement:1", "agreement", 2, jan, agreement_id=1)
    _edge(graph, "a", "b", "value:t:0", "value", 3, jan, amount=5)
    _edge(graph, "c", "a", "referral:1:x", "referral", 10, mar)
    jan_p, feb_p, mar_p = activity(graph, "month")
    assert [p.start for p in (jan_p, feb_p, mar_p)] == [
        period_start(_ts(2026, m, 1), "month") for m in (1, 2, 3)
    ]
    assert (jan_p.new_members, jan_p.members, jan_p.growth_rate) == (2, 2, None)
    assert (feb_p.new_members, feb_p.members, feb_p.growth_rate, feb_p.interactions) == (0, 2, 0.0, 0)
    assert (mar_p.new_members, mar_p.members, mar_p.growth_rate) == (1, 3, 0.5)
    assert (jan_p.new_agreements, jan_p.interactions, jan_p.active_members) == (1, 2, 2)
    assert jan_p.interactions_per_member == 1.0
    assert (mar_p.new_referrals, mar_p.active_members) == (1, 2)
    assert feb_p.interactions_per_member is None
    assert activity(nx.MultiDiGraph()) == []


def test_members_at_a_height_leave_out_the_not_yet_admitted_and_the_exited() -> None:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    _member(graph, "a", 1, 100)
    _member(graph, "b", 1, 100, history=[(5, "suspended")])
    _member(graph, "c", 1, 100, history=[(7, "exited")])
    _member(graph, "d", 8, 200)
    assert sorted(members_at(graph, 6)) == ["a", "b", "c"]
    assert members_at(graph, 6)["b"]["status"] == "suspended"
    assert sorted(members_at(graph, 8)) == ["a", "b", "d"]


def test_ties_count_an_agreement_once_sum_value_and_leave_out_outsiders() -> None:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for address in ("a", "b"):
        _member(graph, address, 1, 100)
    graph.add_node("customer", member=False, first_block=2)
    _edge(graph, "a", "b", "agreement:1", "agreement", 2, 100, agreement_id=1)
    _edge(graph, "b", "a", "agreement:1", "agreement", 2, 100, agreement_id=1)
    _edge(graph, "a", "b", "value:t:0", "value", 3, 100, amount=40, asset="T")
    _edge(graph, "b", "a", "value:t:1", "value", 4, 100, amount=2, asset="T")
    _edge(graph, "customer", "a", "value:t:2", "value", 4, 100, amount=1_000, asset="T")
    ties = tie_graph(graph, members_at(graph, 10))
    assert sorted(ties) == ["a", "b"]
    assert dict(ties["a"]["b"]) == {"weight": 3, "value": 42, "kinds": {"agreement", "value"}}


def test_alerts_name_single_points_of_failure_silos_and_concentration_with_evidence() -> None:
    ties = small_ties()
    failures = single_point_of_failure_alerts(ties, articulation_points(ties))
    assert [(alert.subject, alert.evidence["cut_off"]) for alert in failures] == [
        ("c", ["d", "e"]),
        ("d", ["e"]),
    ]
    assert "Member c" in failures[0].message
    silos = sector_silo_alerts(ties)
    assert [alert.subject for alert in silos] == ["a", "b", "e"]
    assert silos[0].evidence == {"sector": "bakery", "partners": ["b", "c"]}
    assert concentration_alerts("T", {"a": 1, "b": 1, "c": 1, "d": 1}, max_hhi=0.25) == []
    concentrated = concentration_alerts("T", {"a": 9, "b": 1}, max_hhi=0.25)
    assert concentrated[0].evidence["hhi"] == pytest.approx(0.82)
    assert concentrated[0].evidence["top_shares"] == {"a": 0.9, "b": 0.1}


def test_the_cache_computes_each_height_once_even_when_asked_at_the_same_time() -> None:
    cache = MetricsCache(size=2)
    calls: list[int] = []

    def slow(height: int) -> int:
        calls.append(height)
        time.sleep(0.05)
        return height * 10

    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get((7, "network"), lambda: slow(7))))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [70] * 5
    assert calls == [7]
    cache.get((8, "network"), lambda: slow(8))
    cache.get((9, "network"), lambda: slow(9))
    cache.get((7, "network"), lambda: slow(7))
    assert calls == [7, 8, 9, 7], "the oldest height was evicted beyond the cache's size"


def _met_in(
    order: list[int], edges: list[tuple[int, int, int]]
) -> tuple[nx.MultiDiGraph[str], dict[str, dict[str, str]]]:
    """A ledger graph and its members, the members met in ``order`` and the facts in the order given."""
    address = [f"0x{(index * 0x9E3779B97F4A7C15) % 2**160:040x}" for index in range(len(order))]
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    members = {}
    for index in order:
        graph.add_node(address[index])
        members[address[index]] = {"name": f"m{index}", "sector": "s", "region": "r"}
    for u, v, weight in edges:
        for _ in range(weight):
            graph.add_edge(address[u], address[v], kind="referral", block=1)
    return graph, members


def test_figures_do_not_depend_on_the_order_members_were_met() -> None:
    """Louvain and sampled betweenness follow the order they meet nodes in; the tie graph is built in the
    canonical (address) order, so the same chain gives the same figures however a process met it."""
    generator = random.Random(7)
    size = 300
    edges = [
        (u, v, generator.randint(1, 3))
        for u in range(size)
        for v in range(u + 1, size)
        if generator.random() < 0.02
    ]
    admission = list(range(size))
    shuffled = admission[:]
    generator.shuffle(shuffled)
    reports = []
    for order, facts in ((admission, edges), (shuffled, list(reversed(edges)))):
        graph, members = _met_in(order, facts)
        ties = tie_graph(graph, members)
        found = communities(ties)
        sampled = betweenness(ties, exact_limit=10, pivots=50)
        reports.append((found.groups, found.modularity, sampled.values, pagerank(ties)))
    assert reports[0] == reports[1]
