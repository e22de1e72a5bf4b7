"""Gap analysis: groups of members (sectors, regions, communities) with few or no ties between them, and
members at the edge of the network."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import networkx as nx

__all__ = ["Gap", "gaps", "group_ties", "isolated", "peripheral"]


def group_ties(ties: nx.Graph[str], group_of: dict[str, str]) -> dict[tuple[str, str], int]:
    """The number of ties between every pair of groups ``(a, b)``, ``a <= b`` (``a == b``: ties inside a
    group), zero pairs included. O(m + g²) for g groups."""
    groups = sorted(set(group_of.values()))
    counts = dict.fromkeys(combinations(groups, 2), 0) | {(a, a): 0 for a in groups}
    for u, v in ties.edges():
        a, b = sorted((group_of[u], group_of[v]))
        counts[a, b] += 1
    return counts


@dataclass(frozen=True)
class Gap:
    """Two groups with few or no ties between them."""

    group_a: str
    group_b: str
    ties: int
    members_a: int
    members_b: int


def gaps(ties: nx.Graph[str], group_of: dict[str, str], at_most: int = 1) -> list[Gap]:
    """Pairs of distinct groups joined by at most ``at_most`` ties, fewest ties first, then the pairs with
    the most members (the largest missed opportunities), then by name. O(m + g²)."""
    sizes: dict[str, int] = {}
    for group in group_of.values():
        sizes[group] = sizes.get(group, 0) + 1
    found = [
        Gap(a, b, count, sizes[a], sizes[b])
        for (a, b), count in group_ties(ties, group_of).items()
        if a != b and count <= at_most
    ]
    return sorted(found, key=lambda gap: (gap.ties, -gap.members_a * gap.members_b, gap.group_a, gap.group_b))


def isolated(ties: nx.Graph[str]) -> list[str]:
    """Members without any tie, sorted. O(n)."""
    return sorted(node for node, count in ties.degree() if count == 0)


def peripheral(ties: nx.Graph[str]) -> list[str]:
    """Members with exactly one partner — one tie from isolation — sorted. O(n)."""
    return sorted(node for node, count in ties.degree() if count == 1)
