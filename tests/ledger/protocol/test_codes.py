"""Sector and region codes round-trip through their bytes32 encoding; bad codes are refused."""

from __future__ import annotations

import pytest

from ledger.protocol.codes import decode_code, encode_code


@pytest.mark.parametrize("code", ["bakery", "north", "x", "a" * 32])
def test_code_round_trips(code: str) -> None:
    encoded = encode_code(code)
    assert len(encoded) == 32
    assert decode_code(encoded) == code


@pytest.mark.parametrize(("code", "problem"), [("", "1 to 32"), ("a" * 33, "1 to 32"), ("café", "ASCII")])
def test_bad_code_is_refused(code: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        encode_code(code)
