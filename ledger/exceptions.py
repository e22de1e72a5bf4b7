"""Errors raised by coopledger's runtime. Each message says what was wrong and what to do about it."""

from __future__ import annotations

__all__ = [
    "ChainError",
    "CoopLedgerError",
    "ManifestError",
    "RangeTooLargeError",
    "StoreError",
    "StoreUnavailableError",
]


class CoopLedgerError(Exception):
    """Base class of every error coopledger raises on purpose."""


class ManifestError(CoopLedgerError):
    """A deployment manifest is missing, unreadable or does not describe a deployment."""


class StoreError(CoopLedgerError):
    """The event store cannot be opened, migrated or written."""


class StoreUnavailableError(StoreError):
    """The store's database does not answer (down, restarting, unreachable): waiting and retrying is safe,
    since a write that did not complete left nothing behind. ``reason`` is the driver's word for it."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


class ChainError(CoopLedgerError):
    """The chain node cannot be reached or refuses a request."""


class RangeTooLargeError(ChainError):
    """The node refused an eth_getLogs range as too large; retry with a smaller one."""
