"""The tie graph handed to igraph's compiled algorithms, for the figures that are slow in pure Python at
scale (betweenness, clustering, constraint, cut vertices and edges).

networkx stays the reference: each figure computed here has the definition of the networkx function its
docstring names, and ``tests/ledger/analytics/metrics/test_compiled.py`` checks that they agree (to the last
bits of a float: sums are taken in another order). On 10 000 members and 325 000 ties, sampled betweenness
takes about 2 s here against 50 s in networkx (``bench/scale.py``). Compiling that graph takes half a
second, so each of these functions takes an optional ``compiled=``: the one :class:`CompiledTies` of
``ties``, for a caller that computes several figures of one graph (it must be compiled from that graph).
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph
import networkx as nx

__all__ = ["CompiledTies"]


@dataclass(frozen=True)
class CompiledTies:
    """``ties`` as an igraph graph: vertex ``i`` is ``nodes[i]`` (the networkx graph's node order), and each
    edge carries its tie's ``weight``."""

    nodes: list[str]
    graph: igraph.Graph

    @classmethod
    def of(cls, ties: nx.Graph[str]) -> CompiledTies:
        """Compile the undirected tie graph ``ties``. O(n + m)."""
        nodes = list(ties)
        index = {node: position for position, node in enumerate(nodes)}
        pairs, weights = [], []
        for u, v, weight in ties.edges(data="weight", default=1):
            pairs.append((index[u], index[v]))
            weights.append(weight)
        graph = igraph.Graph(n=len(nodes), edges=pairs, directed=False)
        graph.es["weight"] = weights
        return cls(nodes, graph)

    def per_node(self, values: list[float]) -> dict[str, float]:
        """``values`` (one per vertex) keyed by member, in the networkx graph's node order."""
        return {node: float(value) for node, value in zip(self.nodes, values, strict=True)}

    def pairs(self, edge_ids: list[int]) -> list[tuple[str, str]]:
        """The members at the ends of the edges ``edge_ids``."""
        ends = self.graph.get_edgelist()
        return [(self.nodes[ends[edge][0]], self.nodes[ends[edge][1]]) for edge in edge_ids]
