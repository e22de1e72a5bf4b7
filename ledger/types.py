"""Records shared between the chain reader, the indexer and the store."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BlockHeader", "Checkpoint"]


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
