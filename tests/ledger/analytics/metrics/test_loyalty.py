"""Loyalty figures against values worked out by hand on a small consortium over three days."""

from __future__ import annotations

from typing import Any

import networkx as nx
import pytest

from ledger.analytics.graph import LedgerGraph, renewals_of
from ledger.analytics.metrics.loyalty import churn_alerts, loyalty
from ledger.types import LedgerEvent

DAY = 86_400
BASE = 19_000 * DAY  # the start of a UTC day


def _member(
    graph: nx.MultiDiGraph[str], name: str, block: int, at: int, left: tuple[int, int] | None = None
) -> None:
    history, times = [(block, "active")], [at]
    if left is not None:
        history.append((left[0], "exited"))
        times.append(left[1])
    graph.add_node(
        name,
        member=True,
        status=history[-1][1],
        status_history=history,
        status_times=times,
        joined_block=block,
        joined_at=at,
        first_block=block,
    )


def _fact(graph: nx.MultiDiGraph[str], u: str, v: str, kind: str, block: int, at: int, **extra: Any) -> None:
    graph.add_edge(u, v, kind=kind, block=block, timestamp=at, amount=extra.pop("amount", 0), **extra)


@pytest.fixture
def consortium() -> nx.MultiDiGraph[str]:
    """a, b and d join on day 0, c on day 1; d leaves on day 2. Day 0: a and b (value), a and d (an
    agreement). Day 1: a refers a customer to b; b and c (value). Day 2: a refers to b again; a and b
    (value); a customer pays into b and c's agreement."""
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for name in ("a", "b", "d"):
        _member(graph, name, 1, BASE + 100, left=(20, BASE + 2 * DAY + 50) if name == "d" else None)
    _member(graph, "c", 5, BASE + DAY + 10)
    _fact(graph, "a", "b", "value", 2, BASE + 200, amount=5, asset="0xT", agreement_id=5)
    _fact(graph, "a", "d", "agreement", 3, BASE + 300, agreement_id=1)
    _fact(graph, "d", "a", "agreement", 3, BASE + 300, agreement_id=1)
    _fact(graph, "a", "b", "referral", 6, BASE + DAY + 100, program_id=1, asset="0xT")
    _fact(graph, "c", "b", "value", 7, BASE + DAY + 200, amount=9, asset="0xT", agreement_id=7)
    _fact(graph, "a", "b", "referral", 21, BASE + 2 * DAY + 100, program_id=2, asset="0xT")
    _fact(graph, "a", "b", "value", 22, BASE + 2 * DAY + 200, amount=1, asset="0xT", agreement_id=5)
    # a customer pays into b and c's agreement: they earned it together, their tie is active on day 2
    graph.add_node("customer", member=False, status="external", first_block=23)
    for party in ("b", "c"):
        _fact(
            graph, "customer", party, "value", 23, BASE + 2 * DAY + 300, amount=4, asset="0xT", agreement_id=7
        )
    return graph


def test_churn_retention_and_repeat_referrals_per_day(consortium: nx.MultiDiGraph[str]) -> None:
    found = loyalty(consortium, 30, BASE + 3 * DAY, "day")
    rows = [
        (p.members_at_start, p.exits, p.churn_rate, p.active_ties, p.retained_ties, p.partner_retention)
        for p in found.periods
    ]
    assert rows == [
        (0, 0, None, 2, 0, None),  # day 0: a-b, a-d active; nobody before
        (3, 0, 0.0, 2, 1, 0.5),  # day 1: a-b (the referral) again, b-c new; a-d not
        (4, 1, 0.25, 2, 2, 1.0),  # day 2: d leaves; a-b again, b-c by the customer's payment they share
    ]
    assert [(p.referrals, p.repeat_referrals, p.repeat_referral_share) for p in found.periods] == [
        (0, 0, None),
        (1, 0, 0.0),
        (1, 1, 1.0),  # a to b again, in another of b's programs
    ]
    assert [p.start for p in found.periods] == [BASE, BASE + DAY, BASE + 2 * DAY]


def test_tenure_of_members_and_of_those_who_left(consortium: nx.MultiDiGraph[str]) -> None:
    found = loyalty(consortium, 30, BASE + 3 * DAY, "day")
    assert (found.members, found.left) == (3, 1)
    assert found.average_tenure_days == pytest.approx(((3 * DAY - 100) * 2 + (2 * DAY - 10)) / 3 / DAY)
    assert found.average_tenure_of_those_who_left_days == pytest.approx((2 * DAY - 50) / DAY)


def test_before_the_exit_nobody_has_left(consortium: nx.MultiDiGraph[str]) -> None:
    """At block 10 (an as-of view would hold nothing later; the exit at block 20 is not counted yet)."""
    early = nx.subgraph_view(consortium, filter_edge=lambda u, v, k: consortium.edges[u, v, k]["block"] <= 10)
    found = loyalty(early, 10, BASE + DAY + 300, "day")
    assert (found.members, found.left, found.average_tenure_of_those_who_left_days) == (4, 0, None)
    assert [p.exits for p in found.periods] == [0, 0]


def test_an_empty_graph_has_no_period() -> None:
    found = loyalty(nx.MultiDiGraph(), 0, BASE, "month")
    assert (found.periods, found.members, found.average_tenure_days) == ([], 0, None)


def test_churn_above_the_level_in_the_current_or_last_period_raises_an_alert(
    consortium: nx.MultiDiGraph[str],
) -> None:
    """Day 2: d leaves, 1 of the 4 members at its start (25 %)."""
    [alert] = churn_alerts(consortium, 30, BASE + 3 * DAY + 5, max_churn=0.2, period="day")
    assert (alert.kind, alert.subject) == ("high_churn", f"day:{BASE + 2 * DAY}")
    assert alert.evidence["exits"] == 1
    assert alert.evidence["members_at_start"] == 4
    assert churn_alerts(consortium, 30, BASE + 3 * DAY + 5, max_churn=0.25, period="day") == []
    assert churn_alerts(consortium, 30, BASE + 4 * DAY, max_churn=0.2, period="day") == []  # two days ago
    assert churn_alerts(consortium, 19, BASE + 2 * DAY + 5, max_churn=0.2, period="day") == []  # before it


def _event(name: str, block: int, at: int, **args: Any) -> LedgerEvent:
    return LedgerEvent("Agreements", name, args, block, f"0x{block:064x}", at, "0x" + "22" * 32, 0)


def _agreement(agreement: int, parties: list[str], block: int, at: int, end: int) -> list[LedgerEvent]:
    """Agreement ``agreement`` proposed and in force at ``at``, ending at ``end``."""
    shares = [10_000 // len(parties)] * len(parties)
    shares[0] += 10_000 - sum(shares)
    return [
        _event(
            "AgreementProposed",
            block,
            at,
            id=agreement,
            proposer=parties[0],
            asset="0xT",
            kind=0,
            parties=parties,
            startTime=at,
        ),
        _event("VersionProposed", block, at, id=agreement, version=1, sharesBps=shares, endTime=end),
        _event("AgreementVersionActivated", block, at, id=agreement, version=1),
    ]


def _amended(agreement: int, version: int, block: int, at: int, end: int) -> list[LedgerEvent]:
    return [
        _event(
            "VersionProposed", block, at, id=agreement, version=version, sharesBps=[5_000, 5_000], endTime=end
        ),
        _event("AgreementVersionActivated", block, at, id=agreement, version=version),
    ]


def test_renewals_extend_an_agreement_or_follow_one_that_ended() -> None:
    """a-b: agreement 1 extended on day 1 (version 2), shortened on day 2 (not a renewal), terminated on day
    3, and followed by agreement 2 between the same two on day 4. a-b-c's agreement 3 (day 4) has other
    parties. a-c: agreement 4 ends on day 5; agreement 5, in force on day 4 beside it, renews nothing;
    agreement 6 on day 6 follows agreement 4."""

    def day(n: int) -> int:
        return BASE + n * DAY + 10

    events = [
        *_agreement(1, ["a", "b"], 1, day(0), day(100)),
        *_agreement(4, ["a", "c"], 1, day(0), day(5)),
        *_amended(1, 2, 2, day(1), day(200)),
        *_amended(1, 3, 3, day(2), day(150)),
        _event("AgreementTerminated", 4, day(3), id=1, releasedAmount=0),
        *_agreement(2, ["b", "a"], 5, day(4), day(300)),
        *_agreement(3, ["a", "b", "c"], 5, day(4), day(300)),
        *_agreement(5, ["c", "a"], 5, day(4), day(300)),
        *_agreement(6, ["a", "c"], 7, day(6), day(300)),
    ]
    ledger = LedgerGraph.from_events(events, ["joint_marketing"])
    found = loyalty(ledger.graph, 10, day(7), "day")
    assert {p.start: p.renewals for p in found.periods if p.renewals} == {
        BASE + DAY: 1,
        BASE + 4 * DAY: 1,
        BASE + 6 * DAY: 1,
    }
    assert (found.renewals_by_extension, found.renewals_by_new_agreement) == (1, 2)
    assert [(r.agreement_id, r.how, r.previous_id) for r in renewals_of(ledger.graph)] == [
        (1, "extension", 1),
        (2, "successor", 1),
        (6, "successor", 4),
    ]
    before = loyalty(ledger.graph, 4, day(3), "day")
    assert (before.renewals_by_extension, before.renewals_by_new_agreement) == (1, 0)
