"""``/v1/graph``: the network as node-link JSON, GraphML or GEXF (Gephi), at ``as_of_block``."""

from __future__ import annotations

import io
import json
from typing import Annotated, Any, Literal

import networkx as nx
from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AsOfBlock, Service
from api.service import Height, LedgerService
from ledger.metrics.views import Snapshot

router = APIRouter(prefix="/graph", tags=["graph"])

GraphFormat = Literal["node-link", "graphml", "gexf"]
GraphView = Literal["ties", "full"]

_MEDIA_TYPES: dict[str, str] = {
    "node-link": "application/json",
    "graphml": "application/graphml+xml",
    "gexf": "application/gexf+xml",
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


def _graph(service: LedgerService, height: Height, view: GraphView) -> nx.Graph[str]:
    """The ``view`` graph at ``height``: ``ties`` — members and their weighted ties, each member with its
    community and centralities; ``full`` — every node and every edge (agreement, referral, conversion,
    reward, value) with its block, time, transaction and amount."""
    report = service.network(height) if view == "ties" else None

    def build(now: Snapshot) -> nx.Graph[str]:
        built: nx.Graph[str]
        if report is not None:
            built = nx.Graph()
            for member, profile in now.members.items():
                built.add_node(
                    member,
                    **_plain(profile),
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
            built.add_node(node, **_plain(data))
        for u, v, key, data in now.graph.edges(keys=True, data=True):
            built.add_edge(u, v, key=key, **_plain(data, _EDGE_FIELDS))
        return built

    return service.on_snapshot(height, ("graph", view), build)


def _serialise(graph: nx.Graph[str], form: GraphFormat) -> bytes:
    if form == "node-link":
        return json.dumps(nx.node_link_data(graph, edges="links"), separators=(",", ":")).encode()
    buffer = io.BytesIO()
    if form == "graphml":
        nx.write_graphml(graph, buffer)
    else:
        nx.write_gexf(graph, buffer)
    return buffer.getvalue()


@router.get(
    "",
    operation_id="get_graph",
    response_class=Response,
    responses={
        200: {
            "description": "the graph in the format asked for",
            "content": {media: {} for media in _MEDIA_TYPES.values()},
        }
    },
)
def get_graph(
    service: Service,
    height: AsOfBlock,
    form: Annotated[GraphFormat, Query(alias="format", description="node-link JSON, GraphML or GEXF")] = (
        "node-link"
    ),
    view: Annotated[GraphView, Query(description="ties: members and ties; full: every edge")] = "ties",
) -> Response:
    """The network at the height, for drawing or for Gephi."""
    body = service.cached(
        height, ("graph-bytes", view, form), lambda: _serialise(_graph(service, height, view), form)
    )
    extension = {"node-link": "json", "graphml": "graphml", "gexf": "gexf"}[form]
    return Response(
        body,
        media_type=_MEDIA_TYPES[form],
        headers={
            "Content-Disposition": f'inline; filename="coopledger-{view}-{height.block}.{extension}"',
            "X-Block-Height": str(height.block),
        },
    )
