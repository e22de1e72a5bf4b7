"""Value sharing: who the agreements' revenue flows to and from, and how evenly.

Conventions. Amounts are in one asset's smallest unit (never summed across assets). A member's *received*
(partner-driven revenue) is what it was credited from deposits others made into its agreements — partners
and outside payers; a party's credit from its own deposit is not value shared and is left out.
*Contributed* is what its own deposits credited to its partners. Inequality is over the network's members
(exited members left out), members who received nothing included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import networkx as nx

__all__ = ["FreeRider", "MemberValue", "free_riders", "gini", "hhi", "member_values"]


@dataclass(frozen=True)
class MemberValue:
    """One member's value flows in one asset; ``net`` = received - contributed."""

    member: str
    received: int
    received_from_members: int
    contributed: int
    net: int


def member_values(values: nx.DiGraph[str], members: Iterable[str]) -> dict[str, MemberValue]:
    """Each member's received, received from other members, contributed and net value. O(n + m)."""
    result = {}
    for member in members:
        incoming = list(values.in_edges(member, data=True)) if member in values else []
        outgoing = list(values.out_edges(member, data=True)) if member in values else []
        received = sum(int(data["amount"]) for _, _, data in incoming)
        from_members = sum(int(data["amount"]) for u, _, data in incoming if values.nodes[u].get("member"))
        contributed = sum(int(data["amount"]) for _, _, data in outgoing)
        result[member] = MemberValue(member, received, from_members, contributed, received - contributed)
    return result


def gini(amounts: Sequence[int]) -> float:
    """The Gini coefficient ``Σ_i Σ_j |x_i - x_j| / (2 n² μ)`` of ``amounts`` (population form): 0 when all
    are equal, ``1 - 1/n`` when one holds everything. 0 for no amounts or all zero. O(n log n)."""
    n, total = len(amounts), sum(amounts)
    if n == 0 or total == 0:
        return 0.0
    ordered = sorted(amounts)
    weighted = sum((2 * rank - n + 1) * amount for rank, amount in enumerate(ordered))  # rank from 0
    return weighted / (n * total)


def hhi(amounts: Sequence[int]) -> float:
    """The Herfindahl-Hirschman index ``Σ s_i²`` of the shares ``s_i`` of the total, on a 0-1 scale (multiply
    by 10 000 for the antitrust convention): ``1/n`` when n hold equal shares, 1 when one holds all. 0 when
    the total is 0. O(n)."""
    total = sum(amounts)
    return sum((amount / total) ** 2 for amount in amounts) if total else 0.0


@dataclass(frozen=True)
class FreeRider:
    """A member that receives far more from its partners than it gives them, with the evidence."""

    member: str
    received_from_members: int
    contributed: int
    ratio: float | None  # received / contributed; None when it contributed nothing


def free_riders(flows: Iterable[MemberValue], ratio: float = 3.0) -> list[FreeRider]:
    """Members whose value received from other members is more than ``ratio`` times what they contributed
    (any receipt counts when they contributed nothing), largest receipts first. O(n log n)."""
    found = [
        FreeRider(
            flow.member,
            flow.received_from_members,
            flow.contributed,
            flow.received_from_members / flow.contributed if flow.contributed else None,
        )
        for flow in flows
        if flow.received_from_members > ratio * flow.contributed
    ]
    return sorted(found, key=lambda rider: (-rider.received_from_members, rider.member))
