"""Satisfaction figures against values worked out by hand on ratings folded by the graph from events."""

from __future__ import annotations

import pytest

from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.satisfaction import satisfaction, satisfaction_alerts, standing_ratings
from ledger.types import LedgerEvent

A, B, C, D = (f"0x{digit * 40}" for digit in "abcd")
NO_COMMENT = "0x" + "00" * 32


def _rated(
    block: int, agreement: int, version: int, rater: str, ratee: str, score: int, log_index: int = 0
) -> LedgerEvent:
    args = {
        "agreementId": agreement,
        "rater": rater,
        "ratee": ratee,
        "version": version,
        "score": score,
        "commentHash": NO_COMMENT,
    }
    return LedgerEvent(
        "PartnerRatings",
        "PartnerRated",
        args,
        block,
        f"0x{block:064x}",
        1_000 + block,
        "0x" + "11" * 32,
        log_index,
    )


@pytest.fixture
def ratings() -> LedgerGraph:
    """Agreement 1 (a, b, c), agreement 2 (a, d), in blocks 10 to 16:

    - a rates b 2 then changes it to 5 under version 1; under version 2 a rates b 4;
    - b rates a 2 under version 1; c rates b 1 and b rates c 4 (version 1);
    - a and d rate each other 5 and 1 in agreement 2; d rates a 2 again in block 16 (after the height asked).
    """
    graph = LedgerGraph(kinds=["joint_marketing"])
    graph.apply_all(
        [
            _rated(10, 1, 1, A, B, 2),
            _rated(10, 1, 1, B, A, 2, log_index=1),
            _rated(11, 1, 1, A, B, 5),  # replaces a's 2
            _rated(12, 1, 2, A, B, 4),
            _rated(13, 1, 1, C, B, 1),
            _rated(13, 1, 1, B, C, 4, log_index=1),
            _rated(14, 2, 1, A, D, 5),
            _rated(15, 2, 1, D, A, 1),
            _rated(16, 2, 1, D, A, 2),
        ]
    )
    return graph


def test_the_newest_rating_of_each_version_counts(ratings: LedgerGraph) -> None:
    counted = standing_ratings(ratings.graph, 15)
    assert [(r.block, r.rater, r.ratee, r.version, r.score) for r in counted] == [
        (10, B, A, 1, 2),
        (11, A, B, 1, 5),
        (12, A, B, 2, 4),
        (13, C, B, 1, 1),
        (13, B, C, 1, 4),
        (14, A, D, 1, 5),
        (15, D, A, 1, 1),
    ]
    assert [(r.rater, r.score) for r in standing_ratings(ratings.graph, 10)] == [(A, 2), (B, 2)]


def test_satisfaction_at_a_height(ratings: LedgerGraph) -> None:
    found = satisfaction(ratings.graph, 15, low_mean=3.0, gap=3)
    assert (found.ratings, found.raters, found.rated) == (7, 4, 4)
    assert found.mean_score == pytest.approx((2 + 5 + 4 + 1 + 4 + 5 + 1) / 7)
    # promoters: 5, 5; passives: 4, 4; detractors: 2, 1, 1 -> 100 * (2 - 3) / 7
    assert (found.promoters, found.passives, found.detractors) == (2, 2, 3)
    assert found.net_promoter_score == pytest.approx(-100 / 7)
    # rated pairs (agreement, rater, ratee): (1,b,a) (1,a,b) (1,c,b) (1,b,c) (2,a,d) (2,d,a): all reciprocated
    assert (found.rated_pairs, found.reciprocated_pairs, found.reciprocity) == (6, 6, 1.0)
    b = found.members[B]
    assert (b.received, b.received_mean, b.given, b.given_mean, b.raters) == (3, 10 / 3, 2, 3.0, [A, C])
    a = found.members[A]
    assert (a.received, a.received_mean, a.given, a.given_mean) == (2, 1.5, 3, 14 / 3)
    # ties: a-b (2, 5, 4: mean 11/3), a-d (5, 1: 3.0), b-c (1, 4: 2.5) -> only b-c is below 3
    assert [(t.a, t.b, t.ratings, t.mean) for t in found.low_rated_ties] == [(B, C, 2, 2.5)]
    # a-b: 5 vs 2 (version 1); b-c: 4 vs 1; a-d: 5 vs 1
    assert [(f.agreement_id, f.version, f.a, f.b, f.a_rates_b, f.b_rates_a) for f in found.far_apart] == [
        (1, 1, A, B, 5, 2),
        (1, 1, B, C, 4, 1),
        (2, 1, A, D, 5, 1),
    ]


def test_a_rating_left_unanswered_is_not_reciprocated(ratings: LedgerGraph) -> None:
    found = satisfaction(ratings.graph, 12)
    # (1,a,b) and (1,b,a) reciprocated; version 2's a->b is the same pair
    assert (found.rated_pairs, found.reciprocated_pairs) == (2, 2)
    found = satisfaction(ratings.graph, 14)
    assert (found.rated_pairs, found.reciprocated_pairs, found.reciprocity) == (5, 4, 0.8)


def test_no_ratings_no_figures() -> None:
    found = satisfaction(LedgerGraph(kinds=[]).graph, 100)
    assert (found.ratings, found.mean_score, found.net_promoter_score, found.reciprocity) == (
        0,
        None,
        None,
        None,
    )
    assert found.members == {}
    assert found.low_rated_ties == []
    assert found.far_apart == []


def test_alerts_name_low_rated_members_and_far_apart_agreements(ratings: LedgerGraph) -> None:
    found = satisfaction(ratings.graph, 15, gap=4)
    alerts = satisfaction_alerts(found, ratings.graph, min_rating_mean=3.0, min_ratings=2)
    # a is rated 2 and 1 (mean 1.5 over 2); c's one rating (4) and d's one (5) are too few or high
    assert [(alert.kind, alert.subject) for alert in alerts] == [
        ("low_rating", A),
        ("ratings_far_apart", "agreement:2"),
    ]
    assert alerts[0].evidence == {"mean": 1.5, "ratings": 2, "raters": [B, D]}
    assert alerts[1].evidence["a_rates_b"] == 5
    assert alerts[1].evidence["b_rates_a"] == 1
    assert satisfaction_alerts(found, ratings.graph, min_rating_mean=3.0, min_ratings=3) == [alerts[1]]
