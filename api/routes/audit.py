"""``/v1/audit``: a digest of the history an auditor can recompute from the chain, and a check of the store
against the chain."""

from __future__ import annotations

from random import Random
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import MAX_ID, Service
from api.errors import ApiError
from api.service import LedgerService
from ledger.analytics.audit import Verification, digest, verify_events, verify_everything
from ledger.exceptions import ChainError, CoopLedgerError
from ledger.store import queries

router = APIRouter(prefix="/audit", tags=["audit"])

MAX_VERIFY_BLOCKS = 10_000
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
        int | None, Query(ge=0, le=MAX_ID, description="last block covered (default: indexed head)")
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


@router.get("/verify", operation_id="audit_verify")
def audit_verify(
    service: Service,
    from_block: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="first block of a range to check")
    ] = None,
    to_block: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="last block of a range to check")
    ] = None,
    sample: Annotated[
        int,
        Query(ge=1, le=200, description="without a range: how many blocks with events to check, at random"),
    ] = 20,
    seed: Annotated[int | None, Query(description="seed of the random sample (to repeat a check)")] = None,
    everything: Annotated[
        bool,
        Query(
            alias="all",
            description="check every block from the first deployment to the indexed head, range by range "
            "(each range's digests compared first); not with a range or a sample",
        ),
    ] = False,
) -> AuditVerification:
    """Re-fetch events from the chain and compare them with the store: every block (``all=true``), a given
    block range (at most 10 000 blocks), or a random sample of blocks that hold events."""
    head = service.height(None).block
    if (from_block is None) != (to_block is None):
        missing = "to_block" if to_block is None else "from_block"
        raise ApiError(422, f"{missing}: give both from_block and to_block for a range, or neither.", missing)
    if everything:
        if from_block is not None:
            raise ApiError(422, "all: checks every block; give it without from_block and to_block.", "all")
        return _verify_everything(service, head)
    with service.store.reading() as connection:
        if from_block is not None and to_block is not None:
            if to_block < from_block:
                raise ApiError(422, f"to_block: {to_block} is below from_block {from_block}.", "to_block")
            if to_block > head:
                raise ApiError(409, f"to_block {to_block} is above the indexed head {head}.", "to_block")
            if to_block - from_block + 1 > MAX_VERIFY_BLOCKS:
                raise ApiError(
                    422, f"to_block: a range holds at most {MAX_VERIFY_BLOCKS} blocks; split it.", "to_block"
                )
            blocks = list(range(from_block, to_block + 1))
        else:
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
    return _answer(found)


def _verify_everything(service: LedgerService, head: int) -> AuditVerification:
    try:
        decoder = service.decoder()
        manifest = service.store.deployment()
        assert manifest is not None  # the decoder needs it: checked there
    except CoopLedgerError as exc:
        raise ApiError(503, str(exc)) from None

    def stored_between(first: int, last: int) -> list[dict[str, object]]:
        with service.store.reading() as connection:
            return queries.events_between(connection, first, last)

    try:
        found = verify_everything(
            service.chain(timeout=60.0), decoder, stored_between, manifest.start_block, head
        )
    except ChainError as exc:
        raise ApiError(503, f"{exc} Check COOPLEDGER_RPC_URL, or try again when the node is up.") from None
    return _answer(found)


def _answer(found: Verification) -> AuditVerification:
    return AuditVerification(
        blocks_checked=len(found.blocks),
        events_compared=found.compared,
        ok=not found.mismatches,
        mismatches=[MismatchInfo.model_validate(item, from_attributes=True) for item in found.mismatches],
    )
