"""Whole-network structure: density, clustering, centrality, communities.

All are computed on the undirected tie graph (:func:`ledger.analytics.metrics.views.tie_graph`) of ``n``
members and ``m`` ties.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

import networkx as nx

from ledger.analytics.metrics.compiled import CompiledTies

__all__ = [
    "EXACT_BETWEENNESS_LIMIT",
    "Betweenness",
    "Communities",
    "betweenness",
    "clustering",
    "communities",
    "communities_of_edges",
    "degree",
    "density",
    "pagerank",
    "strength",
]

EXACT_BETWEENNESS_LIMIT = 500  # members; above, betweenness is estimated from sampled pivots
DEFAULT_PIVOTS = 256
SEED = 7  # every randomised metric uses a fixed seed: the same graph always gives the same figures


def density(ties: nx.Graph[str]) -> float:
    """The share of possible ties that exist: ``2m / (n (n - 1))``; 0 for fewer than two members. O(1)."""
    return float(nx.density(ties)) if ties.number_of_nodes() > 1 else 0.0


def clustering(ties: nx.Graph[str], compiled: CompiledTies | None = None) -> tuple[float, dict[str, float]]:
    """Each member's local clustering coefficient — the share of pairs of its partners that are tied to each
    other (0 with fewer than two partners) — and their average over all members (0 for no members).
    Unweighted: :func:`networkx.clustering`, computed by igraph. O(n d²) for maximum degree d."""
    compiled = compiled if compiled is not None else CompiledTies.of(ties)
    local = compiled.per_node(compiled.graph.transitivity_local_undirected(mode="zero"))
    average = sum(local.values()) / len(local) if local else 0.0
    return average, local


def degree(ties: nx.Graph[str]) -> dict[str, float]:
    """Degree centrality: each member's number of partners divided by ``n - 1`` (0 when ``n`` < 2). O(n)."""
    if ties.number_of_nodes() < 2:
        return dict.fromkeys(ties, 0.0)
    return {node: float(value) for node, value in nx.degree_centrality(ties).items()}


def strength(ties: nx.Graph[str]) -> dict[str, int]:
    """Weighted degree: each member's number of interactions (the summed ``weight`` of its ties). O(m)."""
    return {node: int(value) for node, value in ties.degree(weight="weight")}


def pagerank(ties: nx.Graph[str], alpha: float = 0.85) -> dict[str, float]:
    """PageRank with damping ``alpha`` over the ties weighted by interactions (a random walk that follows
    ties in proportion to their weight and restarts uniformly); sums to 1. O(m) per power iteration."""
    if ties.number_of_nodes() == 0:
        return {}
    return {node: float(value) for node, value in nx.pagerank(ties, alpha=alpha, weight="weight").items()}


@dataclass(frozen=True)
class Betweenness:
    """Betweenness centrality values and how they were computed."""

    values: dict[str, float]
    method: Literal["exact", "sampled"]
    pivots: int | None
    seed: int | None


def betweenness(
    ties: nx.Graph[str],
    exact_limit: int = EXACT_BETWEENNESS_LIMIT,
    pivots: int = DEFAULT_PIVOTS,
    seed: int = SEED,
    compiled: CompiledTies | None = None,
) -> Betweenness:
    """Normalised betweenness centrality: for each member, the share of shortest paths between pairs of other
    members that pass through it (ties unweighted: a path's length is its number of ties).

    Exact (Brandes, O(n m)) for at most ``exact_limit`` members; above, estimated from ``pivots`` source
    members sampled with ``seed`` (O(pivots m)) — the result says which. The figures are networkx's
    :func:`~networkx.betweenness_centrality` (``k=pivots, seed=seed`` when sampled: the same pivots, drawn
    by ``random.Random(seed).sample`` from the members in the graph's order), computed by igraph.
    """
    n = ties.number_of_nodes()
    compiled = compiled if compiled is not None else CompiledTies.of(ties)
    if n <= exact_limit or pivots >= n:
        raw = compiled.graph.betweenness(directed=False)  # each unordered pair once
        scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 1.0  # networkx's normalisation (pairs counted twice)
        values = {node: value * scale for node, value in compiled.per_node(raw).items()}
        return Betweenness(values, "exact", None, None)
    # the pivots networkx's ``betweenness_centrality(k=pivots, seed=seed)`` draws, and its rescaling: a pivot
    # is itself no pair's end it could lie between, so its sum covers one source fewer
    sample = random.Random(seed).sample(compiled.nodes, pivots)
    index = {node: position for position, node in enumerate(compiled.nodes)}
    raw = compiled.graph.betweenness(directed=False, sources=[index[node] for node in sample])
    sampled = set(sample)
    per_pivot, per_other = 2.0 / ((pivots - 1) * (n - 2)), 2.0 / (pivots * (n - 2))
    values = {
        node: value * (per_pivot if node in sampled else per_other)
        for node, value in compiled.per_node(raw).items()
    }
    return Betweenness(values, "sampled", pivots, seed)


@dataclass(frozen=True)
class Communities:
    """A partition of the members into communities, largest first, and its modularity."""

    groups: list[list[str]]
    membership: dict[str, int]
    modularity: float | None
    seed: int


def communities(ties: nx.Graph[str], seed: int = SEED, resolution: float = 1.0) -> Communities:
    """Louvain communities (weighted by interactions, fixed ``seed``) and the partition's modularity — the
    share of tie weight inside communities minus what random ties of the same degrees would put there
    (``None`` when there are no ties). Community numbers are ranks: 0 is the largest (ties broken by
    the smallest address). About O(m) per pass.
    """
    if ties.number_of_nodes() == 0:
        return Communities([], {}, None, seed)
    found = nx.community.louvain_communities(ties, weight="weight", resolution=resolution, seed=seed)
    groups = sorted((sorted(group) for group in found), key=lambda group: (-len(group), group[0]))
    membership = {node: index for index, group in enumerate(groups) for node in group}
    score = None
    if ties.number_of_edges():
        partition = [set(group) for group in groups]
        score = float(nx.community.modularity(ties, partition, weight="weight", resolution=resolution))
    return Communities(groups, membership, score, seed)


def communities_of_edges(nodes: list[str], edges: list[tuple[int, int]], weights: list[int]) -> Communities:
    """:func:`communities` of the tie graph given as its ``nodes`` and its ``edges`` (pairs of positions in
    ``nodes``) with their ``weights``, both in the graph's own order (:class:`CompiledTies`'s ``nodes``,
    ``graph.get_edgelist()`` and ``graph.es["weight"]``): the same partition, for a process that is handed
    the ties as plain lists. The graph is rebuilt in that order, which is all Louvain's result depends on
    besides its seed."""
    ties: nx.Graph[str] = nx.Graph()
    ties.add_nodes_from(nodes)
    ties.add_weighted_edges_from(
        (nodes[u], nodes[v], weight) for (u, v), weight in zip(edges, weights, strict=True)
    )
    return communities(ties)
