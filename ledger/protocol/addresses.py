"""Reading an address a person typed: the API and the command line check it the same way."""

from __future__ import annotations

from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

__all__ = ["parse_address"]


def parse_address(value: str) -> str:
    """``value`` as a checksummed address.

    Any case is accepted, but a mixed-case address must carry a valid EIP-55 checksum (a typo shows there).

    Raises
    ------
    ValueError
        If ``value`` is not ``0x`` and 40 hex digits, or its mixed case is a wrong checksum; the message
        says which.
    """
    if not (value.startswith("0x") and is_hex_address(value)):
        raise ValueError(f"{value!r} is not an address (0x followed by 40 hex digits)")
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and not is_checksum_address(value):
        raise ValueError(
            f"{value!r} has a wrong checksum (mixed case); check it for a typo, or give it in lower case"
        )
    return str(to_checksum_address(value))
