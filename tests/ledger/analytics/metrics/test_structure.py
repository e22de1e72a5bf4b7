"""Brokerage, gaps, resilience and diversity against hand-computed values and networkx itself."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from ledger.analytics.metrics.brokerage import brokers, community_ties, constraint, effective_size
from ledger.analytics.metrics.diversity import blau, partner_diversity, shannon
from ledger.analytics.metrics.gaps import Gap, gaps, group_ties, isolated, peripheral
from ledger.analytics.metrics.resilience import (
    articulation_points,
    bridges,
    connected_pairs,
    departure,
    local_bridges,
)
from tests.ledger.analytics.metrics.small_network import PROFILES, small_ties

SECTOR = {member: sector for member, (sector, _) in PROFILES.items()}
COMMUNITY = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 2}


def test_constraint_and_effective_size_are_burts_with_none_for_the_isolated() -> None:
    ties = small_ties()
    found = constraint(ties)
    assert found["e"] == pytest.approx(1.0), "a single partner constrains fully"
    assert found["f"] is None
    expected = nx.constraint(ties, weight="weight")
    assert {k: v for k, v in found.items() if v is not None} == pytest.approx(
        {k: v for k, v in expected.items() if not math.isnan(v)}
    )
    sizes = effective_size(ties)
    assert sizes["f"] is None
    assert sizes["e"] == pytest.approx(1.0)
    assert {k: v for k, v in sizes.items() if v is not None} == pytest.approx(
        {k: v for k, v in _burt_effective_size(ties).items() if not math.isnan(v)}
    )


def _burt_effective_size(ties: nx.Graph[str]) -> dict[str, float]:
    """networkx's effective size by Burt's formula, node by node (``nodes`` given). Without ``nodes``,
    networkx 3.6 takes a scipy path that gives other figures on weighted ties (see the next test)."""
    return dict(nx.effective_size(ties, nodes=list(ties), weight="weight"))


def test_effective_size_is_burts_on_weighted_ties_worked_by_hand() -> None:
    ties: nx.Graph[str] = nx.Graph()
    ties.add_weighted_edges_from([("a", "b", 1), ("a", "c", 2), ("b", "c", 3), ("c", "d", 1)])
    # b: partners a (1) and c (3), 4 interactions. Through a: p_bc m_ac = 3/4 * 2/2; through c: p_ba m_ca =
    # 1/4 * 2/3 (c's largest tie is 3). e(b) = 2 - 3/4 - 1/6 = 13/12.
    # c: partners a (2), b (3), d (1), 6 interactions. Through a: p_cb m_ab = 3/6 * 1/2; through b:
    # p_ca m_ba = 2/6 * 1/3; d shares no partner. e(c) = 3 - 1/4 - 1/9 = 95/36.
    found = effective_size(ties)
    assert found == pytest.approx({"a": 1.0, "b": 13 / 12, "c": 95 / 36, "d": 1.0})
    assert found == pytest.approx(_burt_effective_size(ties))
    assert nx.effective_size(ties, weight="weight")["b"] != pytest.approx(13 / 12), (
        "networkx 3.6's scipy path"
    )


def test_brokers_are_the_members_tied_across_communities() -> None:
    ties = small_ties()
    assert community_ties(ties, COMMUNITY) == {(0, 1): 1}
    ranked = brokers(ties, COMMUNITY, constraint(ties), effective_size(ties))
    assert [broker.member for broker in ranked] == sorted(
        ["c", "d"], key=lambda member: constraint(ties)[member] or 0
    )
    by_member = {broker.member: broker for broker in ranked}
    assert by_member["c"].communities_reached == [1]
    assert by_member["d"].communities_reached == [0]
    assert by_member["c"].ties_outside == 1


def test_gaps_are_group_pairs_with_few_ties_largest_missed_first() -> None:
    ties = small_ties()
    counts = group_ties(ties, SECTOR)
    assert counts[("bakery", "bakery")] == 3
    assert counts[("bakery", "coffee")] == 1
    assert counts[("bakery", "delivery")] == 0
    assert gaps(ties, SECTOR, at_most=1) == [
        Gap("bakery", "delivery", 0, 3, 1),
        Gap("coffee", "delivery", 0, 2, 1),
        Gap("bakery", "coffee", 1, 3, 2),
    ]
    assert gaps(ties, SECTOR, at_most=0) == [
        Gap("bakery", "delivery", 0, 3, 1),
        Gap("coffee", "delivery", 0, 2, 1),
    ]
    assert isolated(ties) == ["f"]
    assert peripheral(ties) == ["e"]


def test_single_points_of_failure_and_weak_ties() -> None:
    ties = small_ties()
    assert articulation_points(ties) == ["c", "d"]
    assert bridges(ties) == [("c", "d"), ("d", "e")]
    assert local_bridges(ties) == [("c", "d", math.inf), ("d", "e", math.inf)]
    assert connected_pairs(ties) == 10


def test_local_bridge_spans_equal_networkx_on_a_sparse_random_network() -> None:
    random: nx.Graph[int] = nx.gnm_random_graph(60, 90, seed=3)
    ties: nx.Graph[str] = nx.Graph()
    ties.add_edges_from((f"m{u:02}", f"m{v:02}") for u, v in random.edges())
    expected = sorted(
        (*sorted((u, v)), float(span))  # type: ignore[misc]
        for u, v, span in nx.local_bridges(ties, with_span=True)
    )
    found = local_bridges(ties)
    assert found == expected
    assert any(math.isfinite(span) and span > 2 for _, _, span in found), "the network has real weak ties"


def test_departure_loses_the_pairs_that_ran_through_the_member_and_its_value() -> None:
    ties = small_ties()
    values: nx.DiGraph[str] = nx.DiGraph()
    values.add_edge("c", "d", amount=30)
    values.add_edge("a", "b", amount=70)
    # without c: a-b and d-e stay connected (2 pairs) of the 6 pairs among a, b, d, e
    leaving = departure(ties, values, "c")
    assert leaving.pairs_disconnected == 4
    assert leaving.connectivity_share == pytest.approx(4 / 6)
    assert leaving.value_share == pytest.approx(0.3)
    assert departure(ties, values, "f").connectivity_share == 0.0
    assert departure(ties, nx.DiGraph(), "c").value_share == 0.0


def test_blau_and_shannon() -> None:
    sectors = [sector for sector, _ in PROFILES.values()]
    assert blau(sectors) == pytest.approx(1 - (9 + 4 + 1) / 36)
    assert shannon(sectors) == pytest.approx(
        -(0.5 * math.log(0.5) + math.log(1 / 3) / 3 + math.log(1 / 6) / 6)
    )
    assert blau(["x", "x"]) == shannon(["x", "x"]) == 0.0
    assert blau([]) == shannon([]) == 0.0
    assert shannon(["x", "y", "z"]) == pytest.approx(math.log(3))


def test_partner_diversity_shows_homogenization() -> None:
    ties = small_ties()
    c = partner_diversity(ties, "c")
    assert c.partners == 3
    assert c.same_sector_share == pytest.approx(2 / 3)
    assert c.sector.blau == pytest.approx(1 - (4 / 9 + 1 / 9))
    a = partner_diversity(ties, "a")
    assert a.same_sector_share == 1.0
    assert a.sector.blau == 0.0
    assert partner_diversity(ties, "f").same_sector_share is None
