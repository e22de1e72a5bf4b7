"""The network as a file: node-link JSON, GraphML or GEXF (Gephi), built from a snapshot.

Two views: ``ties`` — members and their weighted ties, each member with its community and centralities
(from the network report at the same height); ``full`` — every node and every edge (agreement, referral,
conversion, reward, value) with its block, time, transaction and amount. Every attribute is one every
format can write: str, bool, float and 64-bit int; amounts as decimal strings (they exceed 64 bits).

What Gephi shows: a node's ``label`` is the member's name (a payer that is no member: its short address),
its ``address`` an attribute; in the full view each edge has its own ``id`` (the fact's key, so parallel
edges stay apart) and a ``label`` naming its kind and block.
"""

from __future__ import annotations

import io
import json
from typing import Any, Literal

import networkx as nx

from ledger.analytics.metrics.report import NetworkReport
from ledger.analytics.metrics.views import Snapshot

__all__ = ["GRAPH_MEDIA_TYPES", "GraphFormat", "GraphView", "graph_view", "serialise_graph"]

GraphFormat = Literal["node-link", "graphml", "gexf"]
GraphView = Literal["ties", "full"]

#: The media type and file extension of each format.
GRAPH_MEDIA_TYPES: dict[str, tuple[str, str]] = {
    "node-link": ("application/json", "json"),
    "graphml": ("application/graphml+xml", "graphml"),
    "gexf": ("application/gexf+xml", "gexf"),
}
_INT64 = 2**63 - 1
_EDGE_FIELDS = (
    "kind",
    "block",
    "timestamp",
    "tx_hash",
    "amount",
    "asset",
    "agreement_id",
    "agreement_kind",
    "program_id",
    "reward",
)


def _plain(attributes: dict[str, Any], keep: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Attributes every format can write: str, bool, float and 64-bit int; amounts as decimal strings."""
    plain: dict[str, Any] = {}
    for key, value in attributes.items():
        if (keep is not None and key not in keep) or value is None:
            continue
        if key in ("amount", "value", "reward") or (isinstance(value, int) and abs(value) > _INT64):
            plain[key] = str(value)
        elif isinstance(value, str | bool | int | float):
            plain[key] = value
    return plain


def _label(node: str, data: dict[str, Any]) -> dict[str, str]:
    """The node's label (its name, or a short address) and its address."""
    name = str(data.get("name") or "")
    return {"label": name or f"{node[:6]}…{node[-4:]}", "address": node}


def graph_view(now: Snapshot, report: NetworkReport | None) -> nx.Graph[str]:
    """The ``ties`` view of ``now`` when ``report`` (the network report at the same height) is given, else
    the ``full`` view (see the module's docstring)."""
    built: nx.Graph[str]
    if report is not None:
        built = nx.Graph()
        for member, profile in now.members.items():
            built.add_node(
                member,
                **_plain(profile),
                **_label(member, profile),
                community=report.communities.membership.get(member, -1),
                degree=report.degree.get(member, 0.0),
                strength=report.strength.get(member, 0),
                pagerank=report.pagerank.get(member, 0.0),
                betweenness=report.betweenness.values.get(member, 0.0),
            )
        for u, v, data in now.ties.edges(data=True):
            built.add_edge(u, v, **_plain(data), kinds=",".join(sorted(data["kinds"])))
        return built
    built = nx.MultiDiGraph()
    for node, data in now.graph.nodes(data=True):
        built.add_node(node, **_plain(data), **_label(node, data))
    for u, v, key, data in now.graph.edges(keys=True, data=True):
        label = f"{data['kind']} @ {data['block']}"
        built.add_edge(u, v, key=key, id=str(key), label=label, **_plain(data, _EDGE_FIELDS))
    return built


def serialise_graph(graph: nx.Graph[str], form: GraphFormat) -> bytes:
    """``graph`` written in ``form``."""
    if form == "node-link":
        return json.dumps(nx.node_link_data(graph, edges="links"), separators=(",", ":")).encode()
    buffer = io.BytesIO()
    if form == "graphml":
        nx.write_graphml(graph, buffer)
    else:
        nx.write_gexf(graph, buffer)
    return buffer.getvalue()
