"""A small hand-drawn network whose metrics are worked out by hand in the tests.

a ─ b        a, b, c: bakery, north       ties (weight): a-b 1, b-c 1, a-c 2, c-d 1, d-e 3
 \\ /         d, e: coffee, south          f: delivery, north, no tie
  c ─ d ─ e
"""

from __future__ import annotations

import networkx as nx

PROFILES = {
    "a": ("bakery", "north"),
    "b": ("bakery", "north"),
    "c": ("bakery", "north"),
    "d": ("coffee", "south"),
    "e": ("coffee", "south"),
    "f": ("delivery", "north"),
}
TIES = [("a", "b", 1), ("b", "c", 1), ("a", "c", 2), ("c", "d", 1), ("d", "e", 3)]


def small_ties() -> nx.Graph[str]:
    ties: nx.Graph[str] = nx.Graph()
    for member, (sector, region) in PROFILES.items():
        ties.add_node(member, name=f"Member {member}", sector=sector, region=region)
    for u, v, weight in TIES:
        ties.add_edge(u, v, weight=weight, value=0)
    return ties
