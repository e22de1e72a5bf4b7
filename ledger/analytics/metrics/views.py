"""The views of the ledger graph that metrics are computed on, at one block height.

- :func:`members_at`: the network's members at a height — every member admitted by then that has not
  exited (suspended members stay: their ties still exist), with their profile and status at that height.
- :func:`tie_graph`: an undirected simple graph over those members. Two members are tied when any fact joins
  them (a shared active agreement, a referral, a conversion, a reward, a value transfer); the tie's
  ``weight`` counts those facts (an agreement once, not once per direction), ``value`` sums the value
  transferred between them (all assets) and ``kinds`` is the set of kinds of fact. External payers are not
  in it.
- :func:`value_graph`: a weighted DiGraph of value credited from contributor to party in one asset
  (``amount`` summed per pair); external payers are in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from ledger.analytics.graph import LedgerGraph, status_at

__all__ = [
    "TIE_KINDS",
    "Snapshot",
    "assets",
    "canonical_order",
    "count_fact",
    "members_at",
    "new_tie",
    "snapshot",
    "snapshot_of",
    "tie_graph",
    "tie_pair",
    "ties_over",
    "value_graph",
]

TIE_KINDS = frozenset({"agreement", "referral", "conversion", "reward", "value"})


def members_at(graph: nx.MultiDiGraph[str], block: int) -> dict[str, dict[str, Any]]:
    """The members of the network at ``block``: address -> profile (``name``, ``sector``, ``region``,
    ``status`` at that block, ``joined_block``, ``joined_at``), exited members left out."""
    members = {}
    for address, node in graph.nodes(data=True):
        if not node.get("member") or node["joined_block"] is None or node["joined_block"] > block:
            continue
        status = status_at(node, block)
        if status == "exited":
            continue
        members[address] = {
            "name": node["name"],
            "sector": node["sector"],
            "region": node["region"],
            "status": status,
            "joined_block": node["joined_block"],
            "joined_at": node["joined_at"],
        }
    return members


def canonical_order(address: str) -> str:
    """The sort key of the canonical member order: the address as a 160-bit number (its lower-case hex).

    Every graph a figure is computed on lists its members, and each member's ties, in this order, so a figure
    whose algorithm depends on the order it meets nodes (Louvain's communities, sampled betweenness, the
    rounding of PageRank's sums) depends only on the chain, never on the order in which a process happened
    to meet the members: an auditor who rebuilds the graph from the chain gets the same figures exactly.
    """
    return address.lower()


def tie_pair(u: str, v: str, data: dict[str, Any]) -> tuple[str, str] | None:
    """The tie (its two members in canonical order) that the fact ``u -> v`` counts towards, or None when it
    counts towards none: a self-loop, a kind that is not a tie's (:data:`TIE_KINDS`), or the second direction
    of an agreement's co-party edges (an agreement counts once). Membership is not looked at here."""
    kind = data["kind"]
    if u == v or kind not in TIE_KINDS or (kind == "agreement" and u > v):
        return None
    return (u, v) if canonical_order(u) < canonical_order(v) else (v, u)


def count_fact(tie: dict[str, Any], data: dict[str, Any]) -> None:
    """Count the fact ``data`` into ``tie`` (``weight``, ``value``, ``kinds``: see the module's docstring)."""
    tie["weight"] += 1
    tie["kinds"].add(data["kind"])
    if data["kind"] == "value":
        tie["value"] += data["amount"]


def new_tie() -> dict[str, Any]:
    """A tie with no fact counted yet."""
    return {"weight": 0, "value": 0, "kinds": set()}


def tie_graph(graph: nx.MultiDiGraph[str], members: dict[str, dict[str, Any]]) -> nx.Graph[str]:
    """The undirected tie graph over ``members`` (see the module's docstring); nodes carry the profile.
    Nodes and edges are added in the canonical order (:func:`canonical_order`)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for u, v, data in graph.edges(data=True):
        pair = tie_pair(u, v, data) if u in members and v in members else None
        if pair is not None:
            count_fact(found.setdefault(pair, new_tie()), data)
    return ties_over(members, found)


def ties_over(
    members: dict[str, dict[str, Any]], found: dict[tuple[str, str], dict[str, Any]]
) -> nx.Graph[str]:
    """The tie graph over ``members`` with the ties ``found`` between two of them (pairs in canonical order),
    nodes and edges added in the canonical order; each tie's ``kinds`` is copied."""
    order = {member: canonical_order(member) for member in members}  # each member's key computed once
    ties: nx.Graph[str] = nx.Graph()
    ties.add_nodes_from(sorted(members.items(), key=lambda item: order[item[0]]))
    ordered = sorted(
        ((pair, tie) for pair, tie in found.items() if pair[0] in order and pair[1] in order),
        key=lambda item: (order[item[0][0]], order[item[0][1]]),
    )
    ties.add_edges_from((u, v, {**tie, "kinds": set(tie["kinds"])}) for (u, v), tie in ordered)
    return ties


def assets(graph: nx.MultiDiGraph[str]) -> list[str]:
    """The assets that moved as value or rewards, the one with most value edges first."""
    counts: dict[str, int] = {}
    for _, _, data in graph.edges(data=True):
        if data["kind"] in ("value", "reward", "conversion") and data.get("asset"):
            counts[data["asset"]] = counts.get(data["asset"], 0) + 1
    return sorted(counts, key=lambda asset: (-counts[asset], asset))


def value_graph(graph: nx.MultiDiGraph[str], asset: str) -> nx.DiGraph[str]:
    """Value credited from contributor to party in ``asset``, summed per ordered pair as ``amount``; every
    node of ``graph`` is in it (with its attributes), so members with no value flow count as zero."""
    values: nx.DiGraph[str] = nx.DiGraph()
    values.add_nodes_from(graph.nodes(data=True))
    for u, v, data in graph.edges(data=True):
        if data["kind"] != "value" or data["asset"] != asset:
            continue
        if values.has_edge(u, v):
            values[u][v]["amount"] += data["amount"]
        else:
            values.add_edge(u, v, amount=data["amount"])
    return values


@dataclass(frozen=True)
class Snapshot:
    """The graph at ``block``: the as-of view, the members then, and their tie graph."""

    block: int
    graph: nx.MultiDiGraph[str]
    members: dict[str, dict[str, Any]]
    ties: nx.Graph[str]


def snapshot(ledger: LedgerGraph, block: int) -> Snapshot:
    """The :class:`Snapshot` of ``ledger`` at ``block`` (its
    :meth:`~ledger.analytics.graph.LedgerGraph.as_of` view)."""
    return snapshot_of(ledger.as_of(block), block)


def snapshot_of(graph: nx.MultiDiGraph[str], block: int) -> Snapshot:
    """The :class:`Snapshot` at ``block`` of ``graph``, which holds nothing after ``block`` (an as-of view,
    or a copy of one)."""
    members = members_at(graph, block)
    return Snapshot(block, graph, members, tie_graph(graph, members))
