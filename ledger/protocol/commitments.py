"""Referral commitments: how a referrer records a lead on chain without putting personal data there.

The commitment is ``keccak256(abi.encode(keccak256(utf8(lead_id)), referrer, salt))``. The referrer keeps the
lead id and the random salt; anybody holding both can later prove which lead a commitment stands for *and
which referrer recorded it*: the opening only matches under the referrer's own address, so a member who copies
a commitment seen on chain (or a pending transaction) holds a record it can never open. Nobody holding neither
can guess the lead from the chain (the salt defeats dictionary attacks on e-mail addresses).
"""

from __future__ import annotations

import secrets

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

__all__ = ["make_commitment", "new_salt", "opens"]


def new_salt() -> bytes:
    """A fresh 32-byte random salt."""
    return secrets.token_bytes(32)


def make_commitment(lead_id: str, referrer: str, salt: bytes) -> bytes:
    """The on-chain commitment of ``referrer`` for ``lead_id`` with ``salt``.

    Example
    -------
    >>> referrer = "0x" + "11" * 20
    >>> make_commitment("jane@example.com", referrer, bytes(32)) != make_commitment(
    ...     "jane@example.com", "0x" + "22" * 20, bytes(32))
    True
    """
    if not lead_id:
        raise ValueError("a lead id must not be empty")
    if len(salt) != 32:
        raise ValueError(f"a salt must be 32 bytes, got {len(salt)}")
    return keccak(
        encode(["bytes32", "address", "bytes32"], [keccak(text=lead_id), to_checksum_address(referrer), salt])
    )


def opens(commitment: bytes, lead_id: str, referrer: str, salt: bytes) -> bool:
    """Whether ``lead_id`` and ``salt`` open ``commitment`` as recorded by ``referrer``: what a sponsor checks
    before it confirms a conversion."""
    return make_commitment(lead_id, referrer, salt) == bytes(commitment)
