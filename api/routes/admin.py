"""``/v1/admin``: state-changing operations, each requiring the bearer token from settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from api.deps import Service, require_token

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_token)])


class Rebuilt(BaseModel):
    events: int
    indexed_head: int | None


@router.post("/rebuild-projections", operation_id="rebuild_projections")
def rebuild_projections(service: Service) -> Rebuilt:
    """Fold every stored event into the projections afresh and drop the graph and the cached metrics (they
    are rebuilt on the next request). Needs ``Authorization: Bearer <COOPLEDGER_API_TOKEN>``."""
    service.store.rebuild_projections()
    service.reload()
    head = service.store.checkpoint()
    return Rebuilt(
        events=service.store.event_count(), indexed_head=None if head is None else head.block_number
    )
