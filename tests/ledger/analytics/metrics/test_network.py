"""Density, clustering, centrality and communities against hand-computed values and networkx itself."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from ledger.analytics.metrics.network import (
    betweenness,
    clustering,
    communities,
    degree,
    density,
    pagerank,
    strength,
)
from tests.ledger.analytics.metrics.small_network import small_ties


def test_density_is_the_share_of_possible_ties() -> None:
    assert density(small_ties()) == pytest.approx(5 / 15)
    assert density(nx.Graph()) == 0.0


def test_clustering_counts_tied_pairs_of_partners() -> None:
    average, local = clustering(small_ties())
    assert local == {"a": 1.0, "b": 1.0, "c": pytest.approx(1 / 3), "d": 0.0, "e": 0.0, "f": 0.0}
    assert average == pytest.approx(7 / 18)
    assert average == pytest.approx(nx.average_clustering(small_ties()))


def test_degree_and_strength() -> None:
    ties = small_ties()
    assert degree(ties)["c"] == pytest.approx(3 / 5)
    assert degree(ties) == pytest.approx(nx.degree_centrality(ties))
    assert strength(ties) == {"a": 3, "b": 2, "c": 4, "d": 4, "e": 3, "f": 0}


def test_pagerank_is_networkx_weighted_pagerank_and_sums_to_one() -> None:
    ties = small_ties()
    ranks = pagerank(ties)
    assert ranks == pytest.approx(nx.pagerank(ties, weight="weight"))
    assert math.fsum(ranks.values()) == pytest.approx(1.0)
    assert max(ranks, key=ranks.__getitem__) in {"c", "d"}
    assert pagerank(nx.Graph()) == {}


def test_betweenness_is_exact_on_small_graphs_and_says_so() -> None:
    ties = small_ties()
    result = betweenness(ties)
    assert result.method == "exact"
    # c lies on the paths a-d, a-e, b-d, b-e (4 of the C(5,2) = 10 pairs not involving c): 4 / 10 = 0.4
    assert result.values["c"] == pytest.approx(4 / 10)
    assert result.values == pytest.approx(nx.betweenness_centrality(ties))


def test_betweenness_is_sampled_with_a_fixed_seed_on_large_graphs() -> None:
    ties = small_ties()
    result = betweenness(ties, exact_limit=2, pivots=3, seed=11)
    assert (result.method, result.pivots, result.seed) == ("sampled", 3, 11)
    assert result.values == pytest.approx(nx.betweenness_centrality(ties, k=3, seed=11))
    assert betweenness(ties, exact_limit=2, pivots=3, seed=11) == result, "the same seed, the same figures"


def test_communities_partition_the_members_and_report_their_modularity() -> None:
    ties = small_ties()
    found = communities(ties)
    assert sorted(member for group in found.groups for member in group) == sorted(ties)
    assert found.membership["a"] == found.membership["b"] == found.membership["c"]
    assert found.membership["d"] == found.membership["e"] != found.membership["a"]
    expected = nx.community.modularity(ties, [set(group) for group in found.groups], weight="weight")
    assert found.modularity == pytest.approx(expected)
    assert communities(ties) == found, "a fixed seed gives the same partition"
    assert [len(group) for group in found.groups] == sorted((len(g) for g in found.groups), reverse=True)


def test_communities_of_a_network_without_ties_have_no_modularity() -> None:
    lonely: nx.Graph[str] = nx.Graph()
    lonely.add_nodes_from(["x", "y"])
    assert communities(lonely).modularity is None
    assert communities(nx.Graph()).groups == []
