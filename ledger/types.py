"""Records shared between the chain reader, the indexer and the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["BlockHeader", "Checkpoint", "LedgerEvent"]


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The part of a block header the store keeps: enough to order events in time and detect reorgs."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The last block of chain ``chain_id`` whose logs are all in the store."""

    chain_id: int
    block_number: int
    block_hash: str


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """A stored contract event with the time of its block: what projections and the graph are built from."""

    contract: str
    event: str
    args: dict[str, Any]
    block_number: int
    block_hash: str
    timestamp: int
    tx_hash: str
    log_index: int
