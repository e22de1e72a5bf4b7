"""Sector and region codes as the contracts store them: short ASCII labels, right-padded to ``bytes32``."""

from __future__ import annotations

__all__ = ["decode_code", "encode_code"]

CODE_LENGTH = 32


def encode_code(text: str) -> bytes:
    """Encode ``text`` (ASCII, at most 32 characters) as a right-padded ``bytes32``.

    Example
    -------
    >>> encode_code("bakery")[:7]
    b'bakery\\x00'
    """
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        raise ValueError(f"code {text!r} must be ASCII") from None
    if not raw or len(raw) > CODE_LENGTH:
        raise ValueError(f"code {text!r} must be 1 to {CODE_LENGTH} characters long")
    return raw.ljust(CODE_LENGTH, b"\0")


def decode_code(value: bytes | str) -> str:
    """Decode a right-padded ``bytes32`` code (raw, or ``0x`` hex as the indexer stores it) to its label.

    Example
    -------
    >>> decode_code(encode_code("north"))
    'north'
    >>> decode_code("0x" + encode_code("north").hex())
    'north'
    """
    raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else value
    return raw.rstrip(b"\0").decode("ascii", errors="replace")
