"""Partner satisfaction, from the ratings the parties of agreements give each other (``PartnerRatings``).

A party rates a partner per agreement version, a score from 1 (poor) to 5 (excellent), and may rate again:
**the ratings that count at a height** are, for each (agreement, version, rater, ratee), the newest rating at
or below it, in chain order (:func:`standing_ratings`). Every figure below is read from those, in one pass
(O(r) for r ratings, plus sorting the members and ties reported):

- **received / given** per member: how many ratings count that name it as ratee / as rater, and their mean
  score. A member rated under two versions of one agreement by the same partner has two ratings: each
  version is a period of the partnership with its own terms.
- **mean score** of the network: the mean of every rating that counts.
- **net promoter score**: the Net-Promoter idea on a 5-point scale — promoters rate 5, passives 4, detractors
  1 to 3; the score is ``100 * (promoters - detractors) / ratings``, from -100 (every rating a detractor) to
  +100 (every rating a promoter). None without ratings.
- **reciprocity**: of the (agreement, rater, ratee) pairs with a rating that counts (under any version), the
  share whose reverse pair (the ratee rating the rater in the same agreement) has one too. None without
  ratings.
- **low-rated ties**: two members whose ratings of each other (every one that counts, both directions, every
  agreement and version) have a mean below ``low_mean``; with the mean and the count.
- **far-apart ratings**: an agreement version whose two parties rated each other with scores ``gap`` or more
  apart (one says 5, the other 2): the partnership works for one of them only.

Alerts (:func:`satisfaction_alerts`): ``low_rating`` for a member whose mean received score is below
``min_rating_mean`` over at least ``min_ratings`` ratings (one angry rating raises nothing), and
``ratings_far_apart`` for each far-apart agreement version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from ledger.analytics.graph import PartnerRating, ratings_of
from ledger.analytics.metrics.alerts import Alert
from ledger.analytics.metrics.views import canonical_order

__all__ = [
    "FarApartRatings",
    "MemberSatisfaction",
    "RatedTie",
    "Satisfaction",
    "satisfaction",
    "satisfaction_alerts",
    "standing_ratings",
]

PROMOTER_SCORE = 5
PASSIVE_SCORE = 4


@dataclass(frozen=True)
class MemberSatisfaction:
    """One member's ratings that count: received (as ratee) and given (as rater)."""

    received: int
    received_mean: float | None
    given: int
    given_mean: float | None
    raters: list[str]  # who rated it, in the canonical member order


@dataclass(frozen=True)
class RatedTie:
    """Two members' ratings of each other (``a`` before ``b`` in the canonical order)."""

    a: str
    b: str
    ratings: int
    mean: float


@dataclass(frozen=True)
class FarApartRatings:
    """An agreement version whose parties ``a`` and ``b`` rated each other ``gap`` or more apart."""

    agreement_id: int
    version: int
    a: str
    b: str
    a_rates_b: int
    b_rates_a: int


@dataclass(frozen=True)
class Satisfaction:
    """The satisfaction figures at ``block`` (see the module's docstring for each definition)."""

    block: int
    ratings: int
    raters: int
    rated: int
    mean_score: float | None
    promoters: int
    passives: int
    detractors: int
    net_promoter_score: float | None
    rated_pairs: int
    reciprocated_pairs: int
    reciprocity: float | None
    members: dict[str, MemberSatisfaction]
    low_rated_ties: list[RatedTie]
    far_apart: list[FarApartRatings]


def standing_ratings(graph: nx.MultiDiGraph[str], block: int) -> list[PartnerRating]:
    """The ratings that count at ``block``: the newest at or below it of each (agreement, version, rater,
    ratee), in chain order of those newest ones."""
    newest: dict[tuple[int, int, str, str], PartnerRating] = {}
    for rating in ratings_of(graph):
        if rating.block > block:
            break  # chain order: every later one is after the block too
        key = (rating.agreement_id, rating.version, rating.rater, rating.ratee)
        newest.pop(key, None)  # re-inserted last: the dict keeps the newest ones in chain order
        newest[key] = rating
    return list(newest.values())


def satisfaction(
    graph: nx.MultiDiGraph[str], block: int, low_mean: float = 3.0, gap: int = 3
) -> Satisfaction:
    """The :class:`Satisfaction` of the ratings ``graph`` keeps, at ``block``."""
    counted = standing_ratings(graph, block)
    received: defaultdict[str, list[int]] = defaultdict(list)
    given: defaultdict[str, list[int]] = defaultdict(list)
    raters_of: defaultdict[str, set[str]] = defaultdict(set)
    between: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
    pairs: set[tuple[int, str, str]] = set()
    by_version: dict[tuple[int, int, str, str], int] = {}
    for rating in counted:
        received[rating.ratee].append(rating.score)
        given[rating.rater].append(rating.score)
        raters_of[rating.ratee].add(rating.rater)
        a, b = sorted((rating.rater, rating.ratee), key=canonical_order)
        between[(a, b)].append(rating.score)
        pairs.add((rating.agreement_id, rating.rater, rating.ratee))
        by_version[(rating.agreement_id, rating.version, rating.rater, rating.ratee)] = rating.score
    scores = [rating.score for rating in counted]
    promoters = sum(1 for score in scores if score >= PROMOTER_SCORE)
    passives = sum(1 for score in scores if score == PASSIVE_SCORE)
    detractors = len(scores) - promoters - passives
    reciprocated = sum(1 for agreement, rater, ratee in pairs if (agreement, ratee, rater) in pairs)
    members = {
        member: MemberSatisfaction(
            received=len(received.get(member, ())),
            received_mean=_mean(received.get(member, [])),
            given=len(given.get(member, ())),
            given_mean=_mean(given.get(member, [])),
            raters=sorted(raters_of.get(member, ()), key=canonical_order),
        )
        for member in sorted({*received, *given}, key=canonical_order)
    }
    low = [
        RatedTie(a, b, len(found), sum(found) / len(found))
        for (a, b), found in sorted(between.items(), key=lambda item: tuple(map(canonical_order, item[0])))
        if sum(found) / len(found) < low_mean
    ]
    far_apart = []
    for (agreement, version, rater, ratee), score in sorted(by_version.items()):
        back = by_version.get((agreement, version, ratee, rater))
        if back is not None and canonical_order(rater) < canonical_order(ratee) and abs(score - back) >= gap:
            far_apart.append(FarApartRatings(agreement, version, rater, ratee, score, back))
    return Satisfaction(
        block=block,
        ratings=len(scores),
        raters=len(given),
        rated=len(received),
        mean_score=_mean(scores),
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        net_promoter_score=100 * (promoters - detractors) / len(scores) if scores else None,
        rated_pairs=len(pairs),
        reciprocated_pairs=reciprocated,
        reciprocity=reciprocated / len(pairs) if pairs else None,
        members=members,
        low_rated_ties=low,
        far_apart=far_apart,
    )


def satisfaction_alerts(
    report: Satisfaction, graph: nx.MultiDiGraph[str], min_rating_mean: float, min_ratings: int
) -> list[Alert]:
    """``low_rating`` for each member rated below ``min_rating_mean`` on average over at least
    ``min_ratings`` ratings; ``ratings_far_apart`` for each agreement version of ``report.far_apart``
    (members named as ``graph`` names them)."""

    def named(member: str) -> str:
        name = graph.nodes[member].get("name") if member in graph else None
        return f"{name} ({member})" if name else member

    alerts = []
    for member, found in report.members.items():
        mean = found.received_mean
        if mean is not None and found.received >= min_ratings and mean < min_rating_mean:
            alerts.append(
                Alert(
                    kind="low_rating",
                    subject=member,
                    message=(
                        f"{named(member)}: its partners rate it {mean:.2f} out of 5 on average over "
                        f"{found.received} ratings, below {min_rating_mean:g}."
                    ),
                    evidence={"mean": mean, "ratings": found.received, "raters": found.raters},
                )
            )
    for apart in report.far_apart:
        alerts.append(
            Alert(
                kind="ratings_far_apart",
                subject=f"agreement:{apart.agreement_id}",
                message=(
                    f"In version {apart.version} of agreement {apart.agreement_id}, {named(apart.a)} rates "
                    f"{named(apart.b)} {apart.a_rates_b} and is rated {apart.b_rates_a} back: the "
                    "partnership works for one of them only."
                ),
                evidence={
                    "agreement_id": apart.agreement_id,
                    "version": apart.version,
                    "a": apart.a,
                    "b": apart.b,
                    "a_rates_b": apart.a_rates_b,
                    "b_rates_a": apart.b_rates_a,
                },
            )
        )
    return alerts


def _mean(scores: list[int]) -> float | None:
    return sum(scores) / len(scores) if scores else None
