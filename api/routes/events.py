"""``/v1/events``: the audit history, every stored contract event in chain order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import MAX_ID, Connection_, PageRequest, checksum_address, encode_cursor
from api.errors import ApiError
from api.schemas.common import Page, json_args
from api.schemas.events import Event
from ledger.store import queries

router = APIRouter(prefix="/events", tags=["audit"])

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


def event_filter(
    contract: Annotated[
        str | None,
        Query(pattern=_NAME, max_length=64, description="only this contract's events (its manifest name)"),
    ] = None,
    event: Annotated[
        str | None,
        Query(pattern=_NAME, max_length=64, description="only events of this name"),
    ] = None,
    address: Annotated[
        str | None, Query(description="only events with this address among their arguments")
    ] = None,
    from_block: Annotated[int | None, Query(ge=0, le=MAX_ID, description="first block, inclusive")] = None,
    to_block: Annotated[int | None, Query(ge=0, le=MAX_ID, description="last block, inclusive")] = None,
) -> queries.EventFilter:
    """The audit-history filter from the query parameters (shared with the CSV export)."""
    if from_block is not None and to_block is not None and to_block < from_block:
        raise ApiError(
            422,
            f"to_block: {to_block} is below from_block {from_block}; give an ascending range.",
            "to_block",
        )
    return queries.EventFilter(
        contract=contract,
        event=event,
        address=None if address is None else checksum_address(address, "address"),
        from_block=from_block,
        to_block=to_block,
    )


EventSelection = Annotated[queries.EventFilter, Depends(event_filter)]


def event_out(row: dict[str, object]) -> Event:
    """A stored event row as the API shows it (integers in the arguments as decimal strings)."""
    return Event.model_validate({**row, "args": json_args(row["args"])})


@router.get("", operation_id="list_events")
def list_events(connection: Connection_, page: PageRequest, selection: EventSelection) -> Page[Event]:
    """The audit history in chain order (block, log index); each event with its block number and hash, block
    time, transaction hash and log index."""
    found = queries.event_page(connection, selection, after=page.after, limit=page.limit)
    return Page[Event](
        data=[event_out(row) for row in found.rows],
        count=found.count,
        next_cursor=encode_cursor(found.next_key),
    )
