"""``/v1/events``: the audit history, every stored contract event in chain order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import (
    MAX_ID,
    NUMBER_KEY,
    Connection_,
    Keyset,
    Paging,
    address_query,
    checksum_address,
    paging,
)
from api.schemas.common import Page, json_args
from api.schemas.events import Event
from ledger.store import queries

router = APIRouter(prefix="/events", tags=["audit"])

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

EVENT_ORDER = Keyset("`<block>-<log index>`", (NUMBER_KEY, NUMBER_KEY))


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
        str | None, address_query("only events with this address among their arguments")
    ] = None,
    from_block: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="only events at or after this block")
    ] = None,
    to_block: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ID,
            description="only events at or before this block (below `from_block`, the range holds no block "
            "and matches nothing)",
        ),
    ] = None,
) -> queries.EventFilter:
    """The audit-history filter from the query parameters (shared with the CSV export). Each parameter is a
    condition on the events, and the events listed meet them all."""
    return queries.EventFilter(
        contract=contract,
        event=event,
        address=None if address is None else checksum_address(address),
        from_block=from_block,
        to_block=to_block,
    )


EventSelection = Annotated[queries.EventFilter, Depends(event_filter)]


def event_out(row: dict[str, object]) -> Event:
    """A stored event row as the API shows it (integers in the arguments as decimal strings)."""
    return Event.model_validate({**row, "args": json_args(row["args"])})


@router.get("", operation_id="list_events")
def list_events(
    connection: Connection_,
    page: Annotated[Paging, paging(EVENT_ORDER)],
    selection: EventSelection,
) -> Page[Event]:
    """The audit history in chain order (block, log index); each event with its block number and hash, block
    time, transaction hash and log index."""
    found = queries.event_page(connection, selection, after=page.after, limit=page.limit)
    return Page[Event](
        data=[event_out(row) for row in found.rows],
        count=found.count,
        next_cursor=EVENT_ORDER.spell(found.next_key),
    )
