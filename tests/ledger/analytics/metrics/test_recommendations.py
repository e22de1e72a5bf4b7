"""Partner recommendations, the consortium's resilience ties and the backtest, against hand-worked values."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from ledger.analytics.metrics.recommendations import _auc, backtest, recommend, resilience_ties

PROFILES = {
    "a": ("bakery", "north"),
    "b": ("coffee", "north"),
    "c": ("bakery", "north"),
    "d": ("plumbing", "north"),
    "e": ("plumbing", "south"),
    "f": ("coffee", "south"),
}


def _ties(edges: list[tuple[str, str]], members: dict[str, tuple[str, str]] = PROFILES) -> nx.Graph[str]:
    ties: nx.Graph[str] = nx.Graph()
    for member, (sector, region) in members.items():
        ties.add_node(member, name=member.upper(), sector=sector, region=region)
    ties.add_edges_from(edges)
    return ties


@pytest.fixture
def ties() -> nx.Graph[str]:
    """a, b and c work together; c with d, d with e; f with nobody. c and d are articulation points."""
    return _ties([("a", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("d", "e")])


MEMBERSHIP = {"a": 0, "b": 0, "c": 0, "d": 1, "e": 1, "f": 2}


def test_a_member_is_recommended_the_partner_of_its_partner_in_its_region(ties: nx.Graph[str]) -> None:
    """For b: d shares c (RA 1/3) and b's region (+1); e and f share nothing, tie at 0 (address order)."""
    found = recommend(ties, "b", MEMBERSHIP, nx.articulation_points(ties), top=3)
    assert [(r.partner, r.score) for r in found] == [("d", pytest.approx(1 / 3 + 1)), ("e", 0.0), ("f", 0.0)]
    reasons = {reason.kind: reason for reason in found[0].reasons}
    assert reasons["shares_partners"].figures == {
        "common_neighbours": 1,
        "adamic_adar": pytest.approx(1 / math.log(3)),
        "jaccard": pytest.approx(1 / 3),
        "resource_allocation": pytest.approx(1 / 3),
    }
    assert reasons["same_region"].figures == {"region": "north"}
    # b's partners a and c know each other (effective size 2 - 2/2 = 1); d knows c: 3 - 4/3
    assert reasons["widens_reach"].figures == {
        "effective_size": 1.0,
        "effective_size_after": pytest.approx(3 - 4 / 3),
    }
    assert reasons["adds_path"].figures == {"single_point_of_failure": "c"}
    assert reasons["complements_sector"].figures == {
        "sector": "plumbing",
        "diversity_gain": pytest.approx(4 / 9),
    }
    gaps = [reason.figures for reason in found[0].reasons if reason.kind == "closes_gap"]
    assert {(gap["group"], gap["ties_between"]) for gap in gaps} == {("community", 1), ("sector", 0)}
    far = {reason.kind for reason in found[2].reasons}
    assert "adds_path" in far  # f is in no part of the network b reaches
    assert "joins_peripheral" in far


def test_the_same_community_weighs_in(ties: nx.Graph[str]) -> None:
    """For e: d is a partner; c shares d (RA 1/2) in another community; a and b nothing; f shares e's
    region (+1). With f in e's community too, f gains 0.3."""
    found = recommend(ties, "e", MEMBERSHIP, top=4)
    assert [(r.partner, r.score) for r in found] == [
        ("f", 1.0),
        ("c", pytest.approx(0.5)),
        ("a", 0.0),
        ("b", 0.0),
    ]
    together = recommend(ties, "e", {**MEMBERSHIP, "f": 1}, top=1)
    assert together[0].score == pytest.approx(1.3)
    assert any(reason.kind == "same_community" for reason in together[0].reasons)


def test_resilience_ties_close_the_articulation_points_first() -> None:
    """A path a-b-c-d (north; bakery, coffee, bakery, plumbing): b and c are articulation points. The
    candidates are a-c (around b), b-d (around c) and a-d (plumbing for a): a-d closes the ring, no
    articulation point or bridge left. Then b-d adds a sector to both b's and d's partners (4/9 each);
    after it no candidate is left."""
    path = _ties([("a", "b"), ("b", "c"), ("c", "d")], {k: PROFILES[k] for k in "abcd"})
    found = resilience_ties(path, top=10)
    assert [
        (tie.a, tie.b, tie.articulation_points, tie.worst_connected_share, tie.bridges) for tie in found
    ] == [
        ("a", "d", 0, 1.0, 0),
        ("b", "d", 0, 1.0, 0),
    ]
    assert found[1].sector_diversity_gain == pytest.approx(8 / 9)


def test_the_backtest_scores_each_ranking_against_the_ties_formed_later() -> None:
    """Before: a-b and b-c (d alone, elsewhere). After: a-c formed. For a and c the recommendation ranks the
    other first (RA 1/2 + region + community), d last."""
    members = {"a": ("x", "n"), "b": ("y", "n"), "c": ("z", "n"), "d": ("x", "s")}
    before = _ties([("a", "b"), ("b", "c")], members)
    after = _ties([("a", "b"), ("b", "c"), ("a", "c")], members)
    found = backtest(before, after, {"a": 0, "b": 0, "c": 0, "d": 1}, split_block=10)
    assert (found.members, found.ties_at_split, found.new_ties, found.members_scored) == (4, 2, 1, 2)
    ours = found.scores[0]
    assert ours.method == "recommendations"
    assert (ours.precision_at_5, ours.precision_at_10, ours.recall_at_10, ours.mean_reciprocal_rank) == (
        0.2,
        0.1,
        1.0,
        1.0,
    )
    assert ours.auc == 1.0
    assert [score.method for score in found.scores] == [
        "recommendations",
        "random",
        "preferential attachment",
        "common neighbours",
    ]


def test_auc_counts_ties_half() -> None:
    assert _auc([1.0, 1.0], [1.0, 0.0]) == 0.75
    assert _auc([2.0], [1.0, 3.0]) == 0.5
    assert _auc([], [1.0]) == 0.5
