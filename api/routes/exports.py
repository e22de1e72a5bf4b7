"""``/v1/exports``: CSV files of the events, the members and the per-member metrics."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import AsOfBlock, Service
from api.routes.events import EventSelection
from api.schemas.common import json_args
from ledger.store import queries

router = APIRouter(prefix="/exports", tags=["exports"])

_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "a CSV file with a header row", "content": {"text/csv": {}}}
}
_EVENT_COLUMNS = (
    "block_number",
    "log_index",
    "block_hash",
    "timestamp",
    "tx_hash",
    "tx_index",
    "address",
    "contract",
    "event",
    "args",
)
_MEMBER_COLUMNS = (
    "address",
    "name",
    "sector",
    "region",
    "status",
    "admission_proposal",
    "joined_block",
    "joined_at",
    "updated_block",
)
_METRIC_COLUMNS = (
    "address",
    "community",
    "degree",
    "strength",
    "pagerank",
    "betweenness",
    "clustering",
    "constraint",
    "effective_size",
    "articulation_point",
)


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """``rows`` as CSV text in chunks of about a thousand rows (a header row first)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % 1_000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _download(name: str, chunks: Iterator[str]) -> StreamingResponse:
    return StreamingResponse(
        chunks, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/events.csv", operation_id="export_events", response_class=StreamingResponse, responses=_CSV)
def export_events(service: Service, selection: EventSelection) -> StreamingResponse:
    """The audit history (same filters as ``/v1/events``) in chain order, arguments as JSON text."""

    def rows() -> Iterator[dict[str, Any]]:
        with service.store.reading() as connection:
            for row in queries.events_up_to(connection, selection):
                args = json_args(row["args"])  # integers as decimal strings, as the JSON API writes them
                yield {**row, "args": json.dumps(args, sort_keys=True, separators=(",", ":"))}

    return _download("coopledger-events.csv", _csv(_EVENT_COLUMNS, rows()))


@router.get("/members.csv", operation_id="export_members", response_class=StreamingResponse, responses=_CSV)
def export_members(service: Service) -> StreamingResponse:
    """Every member ever admitted, by address, with its current status."""
    rows = service.store.projection_rows("members")
    return _download("coopledger-members.csv", _csv(_MEMBER_COLUMNS, rows))


@router.get("/metrics.csv", operation_id="export_metrics", response_class=StreamingResponse, responses=_CSV)
def export_metrics(service: Service, height: AsOfBlock) -> StreamingResponse:
    """Each network member's centralities, brokerage and community at the height (``as_of_block``), every
    figure computed in full at it (at the head too: a file is read as one consistent picture)."""
    report = service.network(height.exact())
    articulation = set(report.articulation_points)
    rows = [
        {
            "address": member,
            "community": report.communities.membership.get(member),
            "degree": report.degree[member],
            "strength": report.strength[member],
            "pagerank": report.pagerank[member],
            "betweenness": report.betweenness.values[member],
            "clustering": report.clustering[member],
            "constraint": report.constraint[member],
            "effective_size": report.effective_size[member],
            "articulation_point": member in articulation,
        }
        for member in sorted(report.degree)
    ]
    response = _download(f"coopledger-metrics-{height.block}.csv", _csv(_METRIC_COLUMNS, rows))
    response.headers["X-Block-Height"] = str(height.block)
    return response
