"""Amounts typed in whole tokens become exact smallest units, and back."""

from __future__ import annotations

import pytest
import typer
from hypothesis import given
from hypothesis import strategies as st

from ledger.client.commands.common import amount, tokens


@pytest.mark.parametrize(
    ("typed", "decimals", "units"),
    [("12.5", 6, 12_500_000), ("100", 18, 10**20), ("0.000000000000000001", 18, 1), ("0", 18, 0)],
)
def test_typed_amounts_are_exact(typed: str, decimals: int, units: int) -> None:
    assert amount(typed, decimals) == units
    assert tokens(units, decimals) == typed


@pytest.mark.parametrize("typed", ["12,5", "1e3", "-1", "", "0x10", " 5", "1.2.3"])
def test_malformed_amounts_are_refused(typed: str) -> None:
    with pytest.raises(typer.BadParameter, match="is not an amount"):
        amount(typed, 18)


def test_an_amount_beyond_uint256_is_refused() -> None:
    with pytest.raises(typer.BadParameter, match="too large for a uint256"):
        amount("1" + "0" * 60, 18)


def test_more_decimals_than_the_token_has_are_refused() -> None:
    with pytest.raises(typer.BadParameter, match="more than 6 decimals"):
        amount("1.0000001", 6)


@given(units=st.integers(0, 2**256 - 1), decimals=st.integers(0, 30))
def test_tokens_and_amount_round_trip(units: int, decimals: int) -> None:
    assert amount(tokens(units, decimals), decimals) == units
