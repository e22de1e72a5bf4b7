"""The event store: an append-only history of contract events, with the checkpoint that covers it."""

from ledger.store.store import Store

__all__ = ["Store"]
