"""``/health``: is the service up, how far the index is, and how far behind the chain it is."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from api.deps import Service
from ledger.exceptions import ChainError, StoreError

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: the chain or the store does not answer")
    store: Literal["ok", "unreachable"]
    chain: Literal["ok", "unreachable"]
    chain_head: int | None
    indexed_head: int | None
    lag: int | None = Field(description="blocks the index is behind the chain's head")
    confirmations: int = Field(
        description="blocks the indexer waits before indexing one (COOPLEDGER_CONFIRMATIONS): a lag of this "
        "many blocks is by design"
    )
    behind: int | None = Field(
        description="blocks the index is behind beyond the confirmations it waits for: above 0 the indexer "
        "is falling behind (or stopped)"
    )


@router.get("/health", operation_id="health")
def health(service: Service) -> Health:
    """The chain's head, the indexed head and the lag between them, how much of it the configured
    confirmations explain, and whether store and chain answer."""
    try:
        checkpoint = service.store.checkpoint()
        store, indexed = "ok", (None if checkpoint is None else checkpoint.block_number)
    except (SQLAlchemyError, StoreError):
        store, indexed = "unreachable", None
    try:
        chain, head = "ok", service.chain().head()
    except (ChainError, OSError, ValueError):
        chain, head = "unreachable", None
    lag = None if head is None or indexed is None else max(head - indexed, 0)
    confirmations = service.settings.confirmations
    return Health(
        status="ok" if store == chain == "ok" else "degraded",
        store=store,  # type: ignore[arg-type]
        chain=chain,  # type: ignore[arg-type]
        chain_head=head,
        indexed_head=indexed,
        lag=lag,
        confirmations=confirmations,
        behind=None if lag is None else max(lag - confirmations, 0),
    )
