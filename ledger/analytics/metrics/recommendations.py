"""Partner recommendations: whom a member should work with next, why, and whether such advice predicts.

**For a member** ``u`` at a height (:func:`recommend`): every other member ``v`` it has no tie with is a
candidate. Its **score** is what the backtest below found to predict the ties the chain went on to form:

    score(u, v) = RA(u, v) + 1.0 * [same region] + 0.3 * [same community]

- ``RA`` is the resource-allocation index ``sum of 1 / degree(w)`` over the partners ``w`` that ``u`` and
  ``v`` share (networkx's ``resource_allocation_index``): a shared partner with few ties of its own says more
  than a hub everybody works with.
- *same region*: small businesses partner where they trade.
- *same community*: ``u`` and ``v`` are in the same Louvain community of the tie graph (the network's own
  clusters, :func:`~ledger.analytics.metrics.network.communities`).

On the demo chain, a bonus for a partner whose sector ``u``'s partners lack *lowered* every backtest figure
(new ties there mostly join members of one sector): complementing sectors is advice, not a forecast, so it is
a reason below and not part of the score.

Each recommendation also carries its **reasons**, in words and figures, whether or not they weigh in the
score: shared partners (common neighbours, with the Adamic-Adar, Jaccard and resource-allocation indices);
*closes a gap* (``u``'s and ``v``'s communities, sectors or regions have at most one tie between them);
*adds a path around a single point of failure* (every path between them runs through one member, an
articulation point, or there is no path at all); *joins a peripheral member* (``v`` has at most one partner);
*complements its sector* (a sector none of its partners is in), with the gain in the Blau diversity of
``u``'s partners' sectors; *widens its reach* (a structural hole bridged: ``u``'s effective size, Burt's
``n - 2t/n`` for n partners with t ties among them, grows by more than half a partner). Ranked by score, then
by the candidate's address (canonical order). O(n + m) per member, and O(d^2) per reason list for d partners.

**For the consortium** (:func:`resilience_ties`): the new ties that would most raise the network's
resilience, chosen greedily one at a time. The candidates: for each articulation point, a tie between the
best-connected members of the largest part it holds together and of each other part; a tie joining each
other connected part to the largest; for each bridge (a tie whose loss splits the network), a tie between the
best-connected members of its two sides; and for each member, a tie to the best-connected member of its
region in a sector none of its partners is in (for a member with at most one partner and no such sector
nearby, any member of its region): at most ``MAX_CANDIDATES`` in all.
The one kept leaves the fewest articulation points, then the largest share of the connected pairs if the
worst single member left, then the fewest bridges (ties whose loss splits the network), then the largest
gain in the sector diversity (Blau) of the two members' partners. O(k * c * (a + 1) * (n + m)) for k ties,
c candidates and a articulation points.

**The backtest** (:func:`backtest`): at a split height, recommend from the network up to it and score against
the ties actually formed after it, between members present at the split: precision at 5 and 10, recall at
10 and mean reciprocal rank over the members that formed a new tie, and the AUC (the chance that a pair that
went on to form a tie outranks one that did not, ties counted half). The same run scores three baselines:
random order (seeded), preferential attachment (degree * degree) and common neighbours.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from ledger.analytics.graph import as_of_view
from ledger.analytics.metrics.diversity import blau
from ledger.analytics.metrics.gaps import group_ties
from ledger.analytics.metrics.network import communities
from ledger.analytics.metrics.resilience import articulation_points, bridges
from ledger.analytics.metrics.views import canonical_order, snapshot_of

__all__ = [
    "BASELINES",
    "Backtest",
    "BacktestScores",
    "Reason",
    "Recommendation",
    "ResilienceTie",
    "backtest",
    "backtest_history",
    "recommend",
    "recommendation_scores",
    "resilience_ties",
    "split_block",
]

REGION_WEIGHT = 1.0
COMMUNITY_WEIGHT = 0.3
SEED = 7
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class Reason:
    """One reason to work together: its kind, a sentence, and its figures."""

    kind: str
    text: str
    figures: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recommendation:
    """A member ``partner`` that ``member`` does not work with yet, its score and the reasons."""

    member: str
    partner: str
    score: float
    reasons: list[Reason]


Scorer = Callable[["nx.Graph[str]", str, list[str]], dict[str, float]]


def recommendation_scores(
    ties: nx.Graph[str], member: str, candidates: list[str], membership: Mapping[str, int]
) -> dict[str, float]:
    """The score (the module's docstring) of each of ``candidates`` for ``member``."""
    allocation = _resource_allocation(ties, member, candidates)
    community = membership.get(member)
    region = ties.nodes[member]["region"]
    return {
        candidate: allocation[candidate]
        + (REGION_WEIGHT if ties.nodes[candidate]["region"] == region else 0.0)
        + (COMMUNITY_WEIGHT if community is not None and membership.get(candidate) == community else 0.0)
        for candidate in candidates
    }


def recommend(
    ties: nx.Graph[str],
    member: str,
    membership: Mapping[str, int],
    points: Iterable[str] = (),
    top: int = 10,
    candidates: Iterable[str] | None = None,
) -> list[Recommendation]:
    """The ``top`` recommendations for ``member`` in the tie graph ``ties`` (nodes carry ``sector`` and
    ``region``), given the Louvain ``membership`` and the articulation ``points`` of the same graph.
    ``candidates`` limits whom to consider (default: every member but ``member`` and its partners)."""
    pool = _candidates(ties, member, candidates)
    scores = recommendation_scores(ties, member, pool, membership)
    best = sorted(pool, key=lambda candidate: (-scores[candidate], canonical_order(candidate)))[:top]
    context = _Context(ties, membership, set(points))
    return [
        Recommendation(member, partner, scores[partner], context.reasons(member, partner)) for partner in best
    ]


# ------------------------------------------------------------------------------------------- reasons


class _Context:
    """What the reasons of every recommendation at one height read, computed once."""

    def __init__(self, ties: nx.Graph[str], membership: Mapping[str, int], points: set[str]) -> None:
        self.ties, self.membership, self.points = ties, membership, points
        self.component = {
            node: index for index, part in enumerate(nx.connected_components(ties)) for node in part
        }
        self.between: dict[str, dict[tuple[str, str], int]] = {}
        for name in ("community", "sector", "region"):
            self.between[name] = group_ties(ties, {node: self.group(name, node) for node in ties})

    def group(self, name: str, node: str) -> str:
        if name == "community":
            return str(self.membership.get(node, "none"))
        return str(self.ties.nodes[node][name])

    def reasons(self, u: str, v: str) -> list[Reason]:
        ties = self.ties
        found = []
        shared = sorted(set(ties[u]) & set(ties[v]), key=canonical_order)
        if shared:
            [(_, _, adamic)] = nx.adamic_adar_index(ties, [(u, v)])
            [(_, _, jaccard)] = nx.jaccard_coefficient(ties, [(u, v)])
            [(_, _, allocation)] = nx.resource_allocation_index(ties, [(u, v)])
            found.append(
                Reason(
                    "shares_partners",
                    f"works with {len(shared)} of the same partners",
                    {
                        "common_neighbours": len(shared),
                        "adamic_adar": adamic,
                        "jaccard": jaccard,
                        "resource_allocation": allocation,
                    },
                )
            )
        if ties.nodes[u]["region"] == ties.nodes[v]["region"]:
            region = ties.nodes[u]["region"]
            found.append(Reason("same_region", f"works in the same region ({region})", {"region": region}))
        if self.membership.get(u) is not None and self.membership.get(u) == self.membership.get(v):
            community = self.membership[u]
            found.append(
                Reason("same_community", f"is in the same community ({community})", {"community": community})
            )
        for name in ("community", "sector", "region"):
            a, b = sorted((self.group(name, u), self.group(name, v)))
            count = self.between[name][a, b]
            if a != b and count <= 1:
                found.append(
                    Reason(
                        "closes_gap",
                        f"joins {name} {a} and {name} {b}, which have {count} tie(s) between them",
                        {"group": name, "a": a, "b": b, "ties_between": count},
                    )
                )
        before, after = self._effective_sizes(u, v)
        if after - before > 0.5:  # more new reach than redundancy: a structural hole bridged
            found.append(
                Reason(
                    "widens_reach",
                    f"reaches partners its partners do not know: its effective size goes from {before:.2f} "
                    f"to {after:.2f}",
                    {"effective_size": before, "effective_size_after": after},
                )
            )
        around = self._single_point(u, v)
        if around is not None:
            found.append(around)
        if ties.degree(v) <= 1:
            found.append(
                Reason(
                    "joins_peripheral",
                    f"brings in a member with {ties.degree(v)} partner(s)",
                    {"partners": ties.degree(v)},
                )
            )
        sectors = [ties.nodes[partner]["sector"] for partner in ties[u]]
        sector = ties.nodes[v]["sector"]
        if sector != ties.nodes[u]["sector"] and sector not in sectors:
            gain = blau([*sectors, sector]) - blau(sectors)
            found.append(
                Reason(
                    "complements_sector",
                    f"adds the {sector} sector to its partners (their sector diversity {gain:+.2f})",
                    {"sector": sector, "diversity_gain": gain},
                )
            )
        return found

    def _effective_sizes(self, u: str, v: str) -> tuple[float, float]:
        """Burt's effective size of ``u`` (unweighted: ``n - 2t / n`` for n partners with t ties among them)
        now and with ``v`` as one more partner. O(d^2) for d partners."""
        partners = list(self.ties[u])
        among = sum(1 for a, b in _pairs(partners) if self.ties.has_edge(a, b))
        shared = sum(1 for partner in partners if self.ties.has_edge(partner, v))
        n = len(partners)
        before = n - 2 * among / n if n else 0.0
        return before, (n + 1) - 2 * (among + shared) / (n + 1)

    def _single_point(self, u: str, v: str) -> Reason | None:
        if self.component.get(u) != self.component.get(v):
            return Reason("adds_path", "connects two parts of the network that no path joins", {})
        for point in sorted(self.points - {u, v}, key=canonical_order):
            rest = self.ties.subgraph(node for node in self.ties if node != point)
            if not nx.has_path(rest, u, v):
                return Reason(
                    "adds_path",
                    f"adds a path around {point}, through which every path between them runs now",
                    {"single_point_of_failure": point},
                )
        return None


def _pairs(items: list[str]) -> Iterable[tuple[str, str]]:
    return ((items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))


def _candidates(ties: nx.Graph[str], member: str, candidates: Iterable[str] | None) -> list[str]:
    taken = {member, *ties[member]}
    pool = ties.nodes if candidates is None else candidates
    return sorted((node for node in pool if node not in taken and node in ties), key=canonical_order)


def _resource_allocation(ties: nx.Graph[str], member: str, candidates: list[str]) -> dict[str, float]:
    """RA(member, c) for each candidate, by walking the member's partners' partners once. O(Σ degrees)."""
    found = dict.fromkeys(candidates, 0.0)
    for partner in ties[member]:
        share = 1.0 / ties.degree(partner)
        for other in ties[partner]:
            if other in found:
                found[other] += share
    return found


# ----------------------------------------------------------------------------------------- resilience


@dataclass(frozen=True)
class ResilienceTie:
    """A new tie ``a`` - ``b`` and the network after it (and the ties chosen before it)."""

    a: str
    b: str
    articulation_points: int
    worst_connected_share: float  # the share of member pairs still connected if the worst single member left
    bridges: int
    sector_diversity_gain: float  # of the two members' partners, summed


def resilience_ties(ties: nx.Graph[str], top: int = 10) -> list[ResilienceTie]:
    """The ``top`` new ties that most raise resilience (module docstring), in the order chosen."""
    graph = nx.Graph(ties)
    chosen: list[ResilienceTie] = []
    for _ in range(top):
        candidates = _resilience_candidates(graph)
        if not candidates:
            break
        best = min(
            (_after(graph, a, b) for a, b in candidates),
            key=lambda tie: (
                tie.articulation_points,
                -tie.worst_connected_share,
                -tie.sector_diversity_gain,
                tie.a,
                tie.b,
            ),
        )
        graph.add_edge(best.a, best.b)
        chosen.append(best)
    return chosen


def _resilience_candidates(graph: nx.Graph[str]) -> list[tuple[str, str]]:
    """The candidate ties of :func:`resilience_ties` (see the module's docstring)."""
    found: set[tuple[str, str]] = set()

    def hub(part: Iterable[str]) -> str:
        return min(part, key=lambda node: (-graph.degree(node), canonical_order(node)))

    def add(a: str, b: str) -> None:
        if a != b and not graph.has_edge(a, b):
            found.add((a, b) if canonical_order(a) < canonical_order(b) else (b, a))

    def by_size(parts: Iterable[set[str]]) -> list[set[str]]:
        return sorted(parts, key=lambda part: (-len(part), min(part, key=canonical_order)))

    for point in articulation_points(graph):  # around each articulation point
        parts = by_size(nx.connected_components(graph.subgraph(node for node in graph if node != point)))
        for part in parts[1:]:
            add(hub(parts[0]), hub(part))
    parts = by_size(nx.connected_components(graph))  # the parts no path joins
    for part in parts[1:]:
        add(hub(parts[0]), hub(part))
    for x, y in bridges(graph):  # around each bridge
        rest = nx.Graph(graph)
        rest.remove_edge(x, y)
        sides = [nx.node_connected_component(rest, x), nx.node_connected_component(rest, y)]
        add(hub(sides[0]), hub(sides[1]))
    for member in sorted(graph, key=canonical_order):  # a sector new to the member's partners, in its region
        if len(found) >= MAX_CANDIDATES:
            break
        region = graph.nodes[member].get("region")
        covered = {graph.nodes[node].get("sector") for node in (member, *graph[member])}
        nearby = [node for node in graph if node != member and graph.nodes[node].get("region") == region]
        others = [node for node in nearby if graph.nodes[node].get("sector") not in covered]
        if not others and graph.degree(member) <= 1:  # a peripheral member: any second partner nearby
            others = [node for node in nearby if not graph.has_edge(member, node)]
        if others:
            add(member, hub(others))
    return sorted(found, key=lambda pair: (canonical_order(pair[0]), canonical_order(pair[1])))[
        :MAX_CANDIDATES
    ]


def _after(graph: nx.Graph[str], a: str, b: str) -> ResilienceTie:
    graph.add_edge(a, b)
    try:
        points = articulation_points(graph)
        n = graph.number_of_nodes()
        pairs = (n - 1) * (n - 2) // 2
        worst = 1.0
        for point in points:  # only an articulation point's departure disconnects pairs of the others
            rest = graph.subgraph(node for node in graph if node != point)
            connected = sum(len(part) * (len(part) - 1) // 2 for part in nx.connected_components(rest))
            worst = min(worst, connected / pairs if pairs else 1.0)
        gain = 0.0
        for member, partner in ((a, b), (b, a)):
            sectors = [graph.nodes[other].get("sector", "") for other in graph[member] if other != partner]
            gain += blau([*sectors, graph.nodes[partner].get("sector", "")]) - blau(sectors)
        return ResilienceTie(a, b, len(points), worst, len(bridges(graph)), gain)
    finally:
        graph.remove_edge(a, b)


# ------------------------------------------------------------------------------------------- backtest


@dataclass(frozen=True)
class BacktestScores:
    """How one ranking did: the means over the members that formed a new tie after the split."""

    method: str
    precision_at_5: float
    precision_at_10: float
    recall_at_10: float
    mean_reciprocal_rank: float
    auc: float


@dataclass(frozen=True)
class Backtest:
    """The split, what was there to predict, and each ranking's scores (ours first)."""

    split_block: int
    members: int  # members at the split
    ties_at_split: int
    new_ties: int  # ties formed after the split between members present at it
    members_scored: int  # members with at least one new tie
    scores: list[BacktestScores]


def _random(seed: int) -> Scorer:
    def scores(ties: nx.Graph[str], member: str, candidates: list[str]) -> dict[str, float]:
        rng = random.Random(f"{seed}:{member}")
        return {candidate: rng.random() for candidate in candidates}

    return scores


def _preferential(ties: nx.Graph[str], member: str, candidates: list[str]) -> dict[str, float]:
    own = ties.degree(member)
    return {candidate: float(own * ties.degree(candidate)) for candidate in candidates}


def _common(ties: nx.Graph[str], member: str, candidates: list[str]) -> dict[str, float]:
    mine = set(ties[member])
    return {candidate: float(len(mine & set(ties[candidate]))) for candidate in candidates}


#: The baselines every backtest scores beside the recommendations, by name.
BASELINES: dict[str, Scorer] = {
    "random": _random(SEED),
    "preferential attachment": _preferential,
    "common neighbours": _common,
}


def backtest(
    before: nx.Graph[str],
    after: nx.Graph[str],
    membership: Mapping[str, int],
    split_block: int,
    sample: int | None = None,
) -> Backtest:
    """Score the recommendations made on ``before`` (the tie graph at the split, with its Louvain
    ``membership``) against the ties of ``after`` (a later tie graph) between members of ``before`` that
    ``before`` lacks; beside :data:`BASELINES`. ``sample`` scores that many members (seeded) instead of all,
    for a large network."""
    present = set(before)
    formed: dict[str, set[str]] = {}
    for u, v in after.edges():
        if u in present and v in present and not before.has_edge(u, v):
            formed.setdefault(u, set()).add(v)
            formed.setdefault(v, set()).add(u)
    members = sorted(formed, key=canonical_order)
    if sample is not None and len(members) > sample:
        members = sorted(random.Random(SEED).sample(members, sample), key=canonical_order)
    rankings: dict[str, Scorer] = {
        "recommendations": lambda ties, member, pool: recommendation_scores(ties, member, pool, membership),
        **BASELINES,
    }
    scores = []
    for method, scorer in rankings.items():
        per_member = []
        positives: list[float] = []
        negatives: list[float] = []
        for member in members:
            pool = _candidates(before, member, None)
            found = scorer(before, member, pool)
            ranked = sorted(pool, key=lambda candidate: (-found[candidate], canonical_order(candidate)))
            hits = formed[member]
            per_member.append(_ranking_figures(ranked, hits))
            for candidate in pool:
                (positives if candidate in hits else negatives).append(found[candidate])
        count = len(per_member) or 1
        scores.append(
            BacktestScores(
                method=method,
                precision_at_5=sum(row[0] for row in per_member) / count,
                precision_at_10=sum(row[1] for row in per_member) / count,
                recall_at_10=sum(row[2] for row in per_member) / count,
                mean_reciprocal_rank=sum(row[3] for row in per_member) / count,
                auc=_auc(positives, negatives),
            )
        )
    return Backtest(
        split_block=split_block,
        members=len(present),
        ties_at_split=before.number_of_edges(),
        new_ties=sum(len(found) for found in formed.values()) // 2,
        members_scored=len(members),
        scores=scores,
    )


def _ranking_figures(ranked: list[str], hits: set[str]) -> tuple[float, float, float, float]:
    """Precision at 5 and 10, recall at 10, reciprocal rank of the first hit."""
    top5 = sum(1 for candidate in ranked[:5] if candidate in hits)
    top10 = sum(1 for candidate in ranked[:10] if candidate in hits)
    first = next((rank for rank, candidate in enumerate(ranked, 1) if candidate in hits), None)
    return top5 / 5, top10 / 10, top10 / len(hits), (1 / first if first else 0.0)


def _auc(positives: list[float], negatives: list[float]) -> float:
    """The chance a positive outranks a negative, ties counted half (Mann-Whitney, by sorting). 0.5 without
    both."""
    if not positives or not negatives:
        return 0.5
    ordered = sorted([(score, 1) for score in positives] + [(score, 0) for score in negatives])
    wins = 0.0
    negatives_below = 0
    index = 0
    while index < len(ordered):
        end = index
        while end < len(ordered) and ordered[end][0] == ordered[index][0]:
            end += 1
        group = ordered[index:end]
        pos = sum(1 for _, label in group if label)
        neg = len(group) - pos
        wins += pos * (negatives_below + neg / 2)
        negatives_below += neg
        index = end
    return wins / (len(positives) * len(negatives))


def split_block(graph: nx.MultiDiGraph[str], members: Iterable[str], share: float = 0.5) -> int:
    """The block by which ``share`` of the ties between ``members`` at the end of ``graph`` had formed (a
    tie forms with its first fact): the split that leaves the rest to predict."""
    wanted = set(members)
    first: dict[tuple[str, str], int] = {}
    for u, v, data in graph.edges(data=True):
        if u in wanted and v in wanted and u != v:
            pair = (u, v) if canonical_order(u) < canonical_order(v) else (v, u)
            block = int(data["block"])
            if block < first.get(pair, block + 1):
                first[pair] = block
    if not first:
        return 0
    blocks = sorted(first.values())
    return blocks[min(len(blocks) - 1, int(len(blocks) * share))] - 1


def backtest_history(
    graph: nx.MultiDiGraph[str], block: int, share: float = 0.5, sample: int | None = None
) -> Backtest:
    """:func:`backtest` on the chain's own history up to ``block`` (``graph`` a :class:`LedgerGraph`'s fact
    graph, a view or a copy of one): split where ``share`` of the ties at ``block`` had formed, recommend from
    the network up to the split and score against the ties formed after it, up to ``block``."""
    head = snapshot_of(as_of_view(graph, block), block)
    split = split_block(head.graph, head.members, share)
    before = snapshot_of(as_of_view(graph, split), split)
    return backtest(before.ties, head.ties, communities(before.ties).membership, split, sample)
