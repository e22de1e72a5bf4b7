"""Errors raised by coopledger's runtime. Each message says what was wrong and what to do about it."""

from __future__ import annotations

__all__ = ["CoopLedgerError", "ManifestError", "StoreError"]


class CoopLedgerError(Exception):
    """Base class of every error coopledger raises on purpose."""


class ManifestError(CoopLedgerError):
    """A deployment manifest is missing, unreadable or does not describe a deployment."""


class StoreError(CoopLedgerError):
    """The event store cannot be opened, migrated or written."""
