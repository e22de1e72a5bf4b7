"""Brokerage: who spans structural holes between otherwise separate parts of the network (Burt).

Computed on the tie graph, with ties weighted by interactions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

__all__ = ["Broker", "brokers", "community_ties", "constraint", "effective_size"]


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {node: None if math.isnan(value) else float(value) for node, value in values.items()}


def constraint(ties: nx.Graph[str]) -> dict[str, float | None]:
    """Burt's constraint: ``c(i) = Σ_j (p_ij + Σ_q p_iq p_qj)²`` over i's partners j, where ``p_ij`` is the
    share of i's interactions spent on j. Low constraint (near 0) means many partners who are not partners of
    each other — a broker; 1 means a single partner. ``None`` for a member without ties. O(n d²)."""
    if ties.number_of_edges() == 0:  # networkx refuses a graph without ties
        return dict.fromkeys(ties)
    return _finite(nx.constraint(ties, weight="weight"))


def effective_size(ties: nx.Graph[str]) -> dict[str, float | None]:
    """Burt's effective size: the number of i's partners minus their redundancy, ``Σ_j (1 - Σ_q p_iq m_jq)``
    (``m_jq`` = j's interactions with q over j's largest tie). Equals the number of partners when none of
    them are tied to each other. ``None`` for a member without ties. O(n d²)."""
    if ties.number_of_edges() == 0:
        return dict.fromkeys(ties)
    return _finite(nx.effective_size(ties, weight="weight"))


def community_ties(ties: nx.Graph[str], membership: dict[str, int]) -> dict[tuple[int, int], int]:
    """The number of ties between each pair of distinct communities ``(a, b)`` with ``a < b`` (pairs with
    none are left out). O(m)."""
    counts: dict[tuple[int, int], int] = {}
    for u, v in ties.edges():
        a, b = sorted((membership[u], membership[v]))
        if a != b:
            counts[a, b] = counts.get((a, b), 0) + 1
    return counts


@dataclass(frozen=True)
class Broker:
    """A member tied into communities other than its own."""

    member: str
    community: int
    communities_reached: list[int]
    ties_outside: int
    effective_size: float | None
    constraint: float | None


def brokers(
    ties: nx.Graph[str],
    membership: dict[str, int],
    constraints: dict[str, float | None],
    effective_sizes: dict[str, float | None],
) -> list[Broker]:
    """The members with at least one tie into another community, ranked: most other communities reached
    first, then lowest constraint, then most ties outside their own community, then address. O(m)."""
    found = []
    for member in ties:
        own = membership[member]
        outside = [membership[partner] for partner in ties[member] if membership[partner] != own]
        if outside:
            found.append(
                Broker(
                    member=member,
                    community=own,
                    communities_reached=sorted(set(outside)),
                    ties_outside=len(outside),
                    effective_size=effective_sizes.get(member),
                    constraint=constraints.get(member),
                )
            )
    return sorted(
        found,
        key=lambda broker: (
            -len(broker.communities_reached),
            broker.constraint if broker.constraint is not None else math.inf,
            -broker.ties_outside,
            broker.member,
        ),
    )
