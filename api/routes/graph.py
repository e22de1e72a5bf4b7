"""``/v1/graph``: the network as node-link JSON, GraphML or GEXF (Gephi), at ``as_of_block``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import AsOfBlock, Service
from ledger.analytics.exports import GRAPH_MEDIA_TYPES, GraphFormat, GraphView

router = APIRouter(prefix="/graph", tags=["graph"])


@router.get(
    "",
    operation_id="get_graph",
    response_class=Response,
    responses={
        200: {
            "description": "the graph in the format asked for",
            "content": {media: {} for media, _ in GRAPH_MEDIA_TYPES.values()},
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
    body = service.graph_file(height, view, form)
    media_type, extension = GRAPH_MEDIA_TYPES[form]
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'inline; filename="coopledger-{view}-{height.block}.{extension}"',
            "X-Block-Height": str(height.block),
        },
    )
