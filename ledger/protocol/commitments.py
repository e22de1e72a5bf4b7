"""Referral commitments: how a referrer records a lead on chain without putting personal data there.

The commitment is ``keccak256(abi.encode(keccak256(utf8(lead_id)), salt))``. The referrer keeps the lead id
and the random salt; anybody holding both can later prove which lead a commitment stands for, and nobody
holding neither can guess it from the chain (the salt defeats dictionary attacks on e-mail addresses).
"""

from __future__ import annotations

import secrets

from eth_abi.abi import encode
from eth_utils.crypto import keccak

__all__ = ["make_commitment", "new_salt"]


def new_salt() -> bytes:
    """A fresh 32-byte random salt."""
    return secrets.token_bytes(32)


def make_commitment(lead_id: str, salt: bytes) -> bytes:
    """The on-chain commitment for ``lead_id`` with ``salt``.

    Example
    -------
    >>> make_commitment("jane@example.com", bytes(32)).hex()[:8]
    '4b45bc0f'
    """
    if not lead_id:
        raise ValueError("a lead id must not be empty")
    if len(salt) != 32:
        raise ValueError(f"a salt must be 32 bytes, got {len(salt)}")
    return keccak(encode(["bytes32", "bytes32"], [keccak(text=lead_id), salt]))
