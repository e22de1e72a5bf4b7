"""The figures not computed by networkx (igraph's, and effective size summed over triangles) are networkx's,
on graphs of every shape the tie graph takes: empty, without ties, with isolated members and several
components, small enough for exact betweenness and large enough to be sampled."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping

import networkx as nx
import pytest

from ledger.analytics.metrics.brokerage import constraint, effective_size
from ledger.analytics.metrics.compiled import CompiledTies
from ledger.analytics.metrics.network import SEED, betweenness, clustering, communities, communities_of_edges
from ledger.analytics.metrics.resilience import articulation_points, bridges


def _ties(members: int, ties: int, seed: int) -> nx.Graph[str]:
    """A weighted tie graph with address-like names, ``members`` of them (some isolated), in two parts."""
    rng = random.Random(seed)
    graph: nx.Graph[str] = nx.Graph()
    names = [f"0x{rng.getrandbits(160):040x}" for _ in range(members)]
    graph.add_nodes_from(names)
    halves = (names[: members // 2], names[members // 2 : members - 1])  # the last one stays isolated
    while graph.number_of_edges() < ties and members > 4:
        u, v = rng.sample(rng.choice(halves), 2)
        graph.add_edge(u, v, weight=graph.get_edge_data(u, v, {"weight": 0})["weight"] + rng.randint(1, 4))
    return graph


SHAPES = [(0, 0), (1, 0), (2, 0), (6, 4), (40, 70), (120, 200), (700, 2_500)]


def _close(ours: Mapping[str, float | None], reference: Mapping[str, float | None]) -> None:
    assert list(ours) == list(reference), "every member, in the graph's order"
    for member, value in reference.items():
        if value is None:
            assert ours[member] is None, member
        else:
            assert ours[member] == pytest.approx(value, rel=1e-12, abs=1e-15), member


@pytest.mark.parametrize(("members", "ties"), SHAPES)
def test_betweenness_is_networkx_exact_and_sampled(members: int, ties: int) -> None:
    graph = _ties(members, ties, seed=members)
    exact = betweenness(graph, exact_limit=10_000)
    assert exact.method == "exact"
    _close(exact.values, nx.betweenness_centrality(graph, normalized=True))
    if members > 8:
        pivots = members // 3
        sampled = betweenness(graph, exact_limit=5, pivots=pivots)
        assert (sampled.method, sampled.pivots, sampled.seed) == ("sampled", pivots, SEED)
        reference = nx.betweenness_centrality(graph, k=pivots, normalized=True, seed=SEED)
        _close(sampled.values, reference)


@pytest.mark.parametrize(("members", "ties"), SHAPES)
def test_clustering_brokerage_and_cuts_are_networkx(members: int, ties: int) -> None:
    graph = _ties(members, ties, seed=members + 1)
    average, local = clustering(graph)
    reference = {member: float(value) for member, value in nx.clustering(graph).items()}  # type: ignore[union-attr]
    _close(local, reference)
    assert average == pytest.approx(sum(reference.values()) / members if members else 0.0, rel=1e-12)
    burt = {"constraint": constraint(graph), "effective size": effective_size(graph)}
    for name, found in burt.items():
        expected: dict[str, float | None] = dict.fromkeys(graph)
        if graph.number_of_edges():  # networkx refuses a graph without ties
            figure = nx.constraint if name == "constraint" else nx.effective_size
            reference = figure(graph, nodes=list(graph), weight="weight")  # node by node: Burt's formula
            expected = {member: None if math.isnan(value) else value for member, value in reference.items()}
        _close(found, expected)
    assert articulation_points(graph) == sorted(nx.articulation_points(graph))
    assert bridges(graph) == sorted(tuple(sorted(edge)) for edge in nx.bridges(graph))


@pytest.mark.parametrize(("members", "ties"), SHAPES)
def test_communities_handed_over_as_plain_lists_are_the_same_partition(members: int, ties: int) -> None:
    """What the metrics worker hands the process that finds the communities (the compiled graph's lists)
    gives the partition found on the graph itself, with its modularity, to the last bit."""
    graph = _ties(members, ties, seed=members + 2)
    compiled = CompiledTies.of(graph)
    handed = communities_of_edges(compiled.nodes, compiled.graph.get_edgelist(), compiled.graph.es["weight"])
    assert handed == communities(graph)
