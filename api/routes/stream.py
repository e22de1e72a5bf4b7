"""``/v1/stream``: what happens, as it happens — Server-Sent Events for each new indexed event and each alert
that appears or clears, in one order a reconnecting client resumes from without gaps or repeats.

The order is the chain's: block by block, a block's events (by log index) before the alert changes the
monitor recorded at it (by their id). Each message's ``id`` names its place — ``<block>-e-<log index>`` for
an event, ``<block>-a-<alert id>`` for an alert change — and a client that reconnects with it
(``Last-Event-ID``, which browsers' ``EventSource`` sends by itself, or ``?after=``) gets everything after
it. The stream runs up to the head the alert monitor has looked at, so an alert change is never sent after
an event of a later block. A new client without a place starts at that head with a ``ready`` message (its id
is the place to resume from); ``: keep-alive`` comments every 15 seconds keep proxies from closing it. When
the server is told to stop, every stream ends within a poll (half a second).

Messages (``event:`` names): ``ready`` (``{"block"}``), ``ledger-event`` (an event as ``/v1/events`` lists
it), ``alert`` (the change: ``transition`` appeared or cleared, ``kind``, ``subject``, ``message``,
``evidence``, ``block``), and ``reorg`` (``{"from_block"}``: blocks from it were replaced; what follows
repeats them as they are now).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.errors import ApiError
from api.routes.events import event_out
from api.service import LedgerService
from ledger.store import queries

router = APIRouter(tags=["stream"])

PLACE = re.compile(r"^(\d+)-([ea])-(\d+)$")
PAGE = 500
POLL_SECONDS = 0.5
KEEP_ALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class Place:
    """A place in the stream: after the event (``kind`` "e", ``index`` its log index) or the alert change
    (``kind`` "a", ``index`` its id) at ``block``."""

    block: int
    kind: str
    index: int

    def spelled(self) -> str:
        return f"{self.block}-{self.kind}-{self.index}"


def parse_place(text: str, parameter: str) -> Place:
    found = PLACE.match(text.strip())
    if found is None:
        raise ApiError(
            422,
            f"{parameter}: {text!r} is not a place in the stream; use a message's id, as "
            "<block>-e-<log index> or <block>-a-<alert id>",
            parameter,
        )
    return Place(int(found[1]), found[2], int(found[3]))


def _messages_after(service: LedgerService, place: Place, horizon: int) -> tuple[list[str], Place]:
    """The messages after ``place`` up to block ``horizon``, in order (at most about :data:`PAGE`), and the
    place after the last."""
    store = service.store
    after_event = (place.block, place.index) if place.kind == "e" else (place.block, 2**62)
    with store.reading() as connection:
        rows, _ = queries.event_rows(connection, queries.EventFilter(to_block=horizon), after_event, PAGE)
    alert_block, alert_id = (place.block - 1, 2**62) if place.kind == "e" else (place.block, place.index)
    changes = store.notifications.changes_after(alert_block, alert_id, horizon, PAGE)
    if place.kind == "e":  # the alert changes of the place's own block all come after its events
        changes = [change for change in changes if change.block_number >= place.block]
    merged: list[tuple[tuple[int, int, int], str, Place]] = []
    for row in rows:
        at = Place(int(row["block_number"]), "e", int(row["log_index"]))
        body = event_out(row).model_dump_json()
        merged.append(((at.block, 0, at.index), _message(at, "ledger-event", body), at))
    for change in changes:
        at = Place(change.block_number, "a", change.id)
        merged.append(((at.block, 1, at.index), _message(at, "alert", json.dumps(change.payload())), at))
    merged.sort(key=lambda item: item[0])
    # a source that filled its page may have more to come: only what lies up to its last item is complete
    complete = [
        merged_key
        for merged_key, full in (
            (
                (int(rows[-1]["block_number"]), 0, int(rows[-1]["log_index"])) if rows else None,
                len(rows) == PAGE,
            ),
            ((changes[-1].block_number, 1, changes[-1].id) if changes else None, len(changes) == PAGE),
        )
        if full and merged_key is not None
    ]
    if complete:
        merged = [item for item in merged if item[0] <= min(complete)]
    return [message for _, message, _ in merged], (merged[-1][2] if merged else place)


def _message(place: Place, name: str, data: str) -> str:
    return f"id: {place.spelled()}\nevent: {name}\ndata: {data}\n\n"


@router.get(
    "/stream",
    operation_id="stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events"}},
)
async def stream(
    request: Request,
    service: Service,
    after: Annotated[
        str | None,
        Query(
            pattern=r"^\d+-[ea]-\d+$",
            description="resume after this message id (what `Last-Event-ID` says, which wins over it)",
        ),
    ] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", include_in_schema=False)] = None,
) -> StreamingResponse:
    """Each new indexed event and each alert that appears or clears, as Server-Sent Events, in the chain's
    order; reconnect with the last message's id (`Last-Event-ID`) to resume without gaps or repeats."""
    given = last_event_id or after
    start = parse_place(given, "Last-Event-ID" if last_event_id else "after") if given else None

    async def messages() -> AsyncIterator[str]:
        if start is not None:
            place = start
        else:
            monitored = await run_in_threadpool(service.store.notifications.monitored)
            block = monitored.block_number if monitored is not None else -1
            newest = await run_in_threadpool(
                service.store.notifications.changes_after, block, 0, block, 10**6
            )
            place = Place(block, "a", newest[-1].id if newest else 0)
            yield _message(place, "ready", json.dumps({"block": block}))
        quiet_since = time.monotonic()
        seen_hash = await run_in_threadpool(service.store.block_hash, place.block)
        closing = request.app.state.closing
        while not closing.is_set() and not await request.is_disconnected():
            monitored = await run_in_threadpool(service.store.notifications.monitored)
            horizon = monitored.block_number if monitored is not None else -1
            now_hash = await run_in_threadpool(service.store.block_hash, place.block)
            if seen_hash is not None and now_hash != seen_hash:  # a reorganisation replaced the place's block
                place = Place(place.block - 1, "a", 2**62)
                yield f"event: reorg\ndata: {json.dumps({'from_block': place.block + 1})}\n\n"
            batch, place = await run_in_threadpool(_messages_after, service, place, horizon)
            seen_hash = await run_in_threadpool(service.store.block_hash, place.block)
            for message in batch:
                yield message
            if batch:
                quiet_since = time.monotonic()
                continue
            if time.monotonic() - quiet_since >= KEEP_ALIVE_SECONDS:
                yield ": keep-alive\n\n"
                quiet_since = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(messages(), media_type="text/event-stream", headers=headers)
