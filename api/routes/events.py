"""``/v1/events``: the audit history, every stored contract event in chain order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import (
    MAX_ID,
    NUMBER_KEY,
    WHOLE_NUMBER,
    Keyset,
    Paging,
    Service,
    address_query,
    checksum_address,
    paging,
)
from api.schemas.common import Page, json_args
from api.schemas.events import Event
from ledger.store import queries

router = APIRouter(prefix="/events", tags=["audit"])

_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"

JSON = "application/json"
EVENT_ORDER = Keyset("`<block>-<log index>`", (NUMBER_KEY, NUMBER_KEY))


async def event_filter(  # async: a pure function of the query, it needs no worker thread
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
        int | None, Query(ge=0, le=MAX_ID, description="only events at or after this block"), WHOLE_NUMBER
    ] = None,
    to_block: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ID,
            description="only events at or before this block (below `from_block`, the range holds no block "
            "and matches nothing)",
        ),
        WHOLE_NUMBER,
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


@router.get("", operation_id="list_events", response_model=Page[Event])
async def list_events(
    service: Service,
    page: Annotated[Paging, paging(EVENT_ORDER)],
    selection: EventSelection,
) -> Response:
    """The audit history in chain order (block, log index) up to the indexed head; each event with its block
    number and hash, block time, transaction hash and log index. A page is found by one walk of the (block,
    log index) index from its cursor, however deep; the count is kept per filter and brought up to each new
    head by counting the new blocks only."""
    head = service.head()
    if head is None:
        return Response(Page[Event](data=[], count=0, next_cursor=None).model_dump_json(), media_type=JSON)
    bounded = selection.within(0, head.block_number)
    after = None if page.after is None else tuple(page.after)

    def build() -> bytes:
        with service.store.reading() as connection:
            rows, next_key = queries.event_rows(connection, bounded, after=page.after, limit=page.limit)
        answer = Page[Event](
            data=[event_out(row) for row in rows],
            count=service.history_count(selection, head),
            next_cursor=EVENT_ORDER.spell(next_key),
        )
        return answer.model_dump_json().encode()

    key = (head.block_number, head.block_hash, selection.key, after, page.limit)
    body = await service.history_answer(key, build)
    return Response(body, media_type=JSON, headers={"X-Block-Height": str(head.block_number)})
