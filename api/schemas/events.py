"""The audit history."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.common import Hash


class Event(BaseModel):
    """One contract event, where it is on the chain and what it said."""

    block_number: int
    block_hash: Hash
    timestamp: int = Field(description="the block's time, seconds since the epoch")
    tx_hash: Hash
    tx_index: int
    log_index: int
    address: str = Field(description="the contract that emitted it (lower-case)")
    contract: str
    event: str
    args: dict[str, Any] = Field(description="decoded arguments; integers as decimal strings")
