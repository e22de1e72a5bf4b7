"""``/v1/audit``: a digest of the history an auditor can recompute from the chain, and a check of the store
against the chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from random import Random
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, RootModel

from api.deps import MAX_ID, WHOLE_NUMBER, Service
from api.errors import ApiError, ErrorBody
from ledger.analytics.audit import Mismatch, digest, verify_events, verify_ranges
from ledger.exceptions import ChainError, CoopLedgerError
from ledger.indexer.sync import verify_deployment
from ledger.store import queries

router = APIRouter(prefix="/audit", tags=["audit"])

RECIPE = (
    "sha256 over one line per event in (block, log index) order: "
    "block_number|block_hash|tx_hash|log_index|contract_address|contract_name|event_name|arguments\\n, "
    "arguments as sorted-key compact ASCII JSON (see ledger/analytics/audit.py; scripts/audit_digest.py "
    "recomputes it)"
)


class EventPosition(BaseModel):
    block_number: int
    log_index: int


class AuditDigest(BaseModel):
    """The digest of every stored event up to ``to_block``."""

    to_block: int
    events: int
    algorithm: str = "sha256"
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    last_event: EventPosition | None
    recipe: str


@router.get("/digest", operation_id="audit_digest")
def audit_digest(
    service: Service,
    to_block: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="last block covered (default: indexed head)"),
        WHOLE_NUMBER,
    ] = None,
) -> AuditDigest:
    """A SHA-256 over the canonical ordered list of events up to ``to_block``; the recipe is documented so an
    auditor recomputes it from the chain (``scripts/audit_digest.py``)."""
    end = service.height(to_block, "to_block").block
    with service.store.reading() as connection:
        found = digest(queries.events_up_to(connection, queries.EventFilter(to_block=end)), end)
    return AuditDigest(
        to_block=end,
        events=found.events,
        digest=found.sha256,
        last_event=None
        if found.last is None
        else EventPosition(block_number=found.last[0], log_index=found.last[1]),
        recipe=RECIPE,
    )


class MismatchInfo(BaseModel):
    tx_hash: str
    log_index: int
    block_number: int
    problem: str


class AuditVerification(BaseModel):
    """What was compared between the store and the chain, and every disagreement."""

    blocks_checked: int
    events_compared: int
    ok: bool
    mismatches: list[MismatchInfo]


class RangeLine(BaseModel):
    """One range of blocks compared: the events each side holds, whether the two sides' digests of the range
    agreed, and (when they did not) every event they disagree about."""

    first_block: int
    last_block: int
    stored_events: int
    chain_events: int
    agreed: bool
    mismatches: list[MismatchInfo]


class VerifyProgress(BaseModel):
    """A line of the verification stream: one range, as it is done."""

    range: RangeLine


class VerifySummary(BaseModel):
    """The verification stream's last line: what was compared in all; ``ok`` when nothing disagreed."""

    class Totals(BaseModel):
        first_block: int
        last_block: int
        blocks_checked: int
        ranges: int
        events_compared: int
        mismatches: int
        ok: bool

    summary: Totals


class NdjsonStream(StreamingResponse):
    """Newline-delimited JSON, sent as it is produced."""

    media_type = "application/x-ndjson"


class VerifyLine(RootModel[VerifyProgress | VerifySummary | ErrorBody]):
    """One line of the verification stream."""


_STREAM: dict[int | str, dict[str, Any]] = {
    200: {
        "model": VerifyLine,
        "description": "newline-delimited JSON, one line per range as it is done (`range`), then `summary`; "
        "the chain failing midway ends the stream with an `error` line instead of the summary",
    }
}


@router.get(
    "/verify",
    operation_id="audit_verify",
    response_class=NdjsonStream,
    responses=_STREAM,
)
def audit_verify(
    service: Service,
    from_block: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="first block to check (default: the first deployment block)"),
        WHOLE_NUMBER,
    ] = None,
    to_block: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ID,
            description="last block to check, at or below the indexed head (default: the head); below "
            "`from_block`, the range holds no block and nothing is checked",
        ),
        WHOLE_NUMBER,
    ] = None,
    range_blocks: Annotated[
        int,
        Query(ge=1, le=100_000, description="blocks compared at a time (each one `eth_getLogs`)"),
        WHOLE_NUMBER,
    ] = 2_000,
) -> NdjsonStream:
    """Check every block from ``from_block`` to ``to_block`` against the chain, range by range: each range's
    digests are compared first, and its events only when they differ, so every event altered, missing or
    extra in the store is named. Streamed as newline-delimited JSON, a line per range as it is done, then a
    summary: a long check shows its progress and holds one range in memory at a time. ``coopledger audit
    verify`` does the same from the command line."""
    last = service.height(to_block, "to_block").block
    try:
        decoder = service.decoder()
        manifest = service.store.deployment()
        assert manifest is not None  # the decoder needs it: checked there
        reader = service.chain(timeout=60.0)
        verify_deployment(reader, manifest)
    except ChainError as exc:
        raise ApiError(503, f"{exc} Check COOPLEDGER_RPC_URL, or try again when the node is up.") from None
    except CoopLedgerError as exc:
        raise ApiError(503, str(exc)) from None
    first = manifest.start_block if from_block is None else from_block

    def stored_between(low: int, high: int) -> list[dict[str, object]]:
        with service.store.reading() as connection:
            return queries.events_between(connection, low, high)

    def lines() -> Iterator[str]:
        ranges = compared = disagreements = 0
        try:
            for checked in verify_ranges(reader, decoder, stored_between, first, last, range_blocks):
                ranges, compared = ranges + 1, compared + checked.stored
                disagreements += len(checked.mismatches)
                line = RangeLine(
                    first_block=checked.first,
                    last_block=checked.last,
                    stored_events=checked.stored,
                    chain_events=checked.on_chain,
                    agreed=checked.agreed,
                    mismatches=[_mismatch(item) for item in checked.mismatches],
                )
                yield VerifyProgress(range=line).model_dump_json() + "\n"
        except (ChainError, CoopLedgerError) as exc:
            message = f"{exc} The check stopped there; try again when the node is up."
            yield json.dumps({"error": {"status": 503, "parameter": None, "message": message}}) + "\n"
            return
        totals = VerifySummary.Totals(
            first_block=first,
            last_block=last,
            blocks_checked=max(0, last - first + 1),
            ranges=ranges,
            events_compared=compared,
            mismatches=disagreements,
            ok=disagreements == 0,
        )
        yield VerifySummary(summary=totals).model_dump_json() + "\n"

    return NdjsonStream(lines())


@router.get("/sample", operation_id="audit_sample")
def audit_sample(
    service: Service,
    sample: Annotated[
        int, Query(ge=1, le=200, description="how many blocks with events to check"), WHOLE_NUMBER
    ] = 20,
    seed: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="seed of the random choice (to repeat a check)"),
        WHOLE_NUMBER,
    ] = None,
) -> AuditVerification:
    """A quick check: re-fetch the events of ``sample`` blocks that hold events, chosen at random, and
    compare them with the store. A sample can miss an altered or deleted row; ``/v1/audit/verify`` cannot."""
    head = service.height(None).block
    with service.store.reading() as connection:
        holding = queries.blocks_with_events(connection, head)
        blocks = sorted(Random(seed).sample(holding, min(sample, len(holding))))
        stored = queries.events_in_blocks(connection, blocks)
    try:
        decoder = service.decoder()
    except CoopLedgerError as exc:
        raise ApiError(503, str(exc)) from None
    try:
        found = verify_events(service.chain(timeout=30.0), decoder, stored, blocks)
    except ChainError as exc:
        raise ApiError(503, f"{exc} Check COOPLEDGER_RPC_URL, or try again when the node is up.") from None
    return AuditVerification(
        blocks_checked=len(found.blocks),
        events_compared=found.compared,
        ok=not found.mismatches,
        mismatches=[_mismatch(item) for item in found.mismatches],
    )


def _mismatch(item: Mismatch) -> MismatchInfo:
    return MismatchInfo.model_validate(item, from_attributes=True)
