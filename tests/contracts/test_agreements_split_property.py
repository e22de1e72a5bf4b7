"""Property: for any shares and deposits, each party is credited its share of the running total, rounded down
once: never a whole unit below its exact pro-rata share; the rest (the dust, fewer units than parties) is
reported by ``unassigned``, so credited + unassigned is what was deposited, to the unit.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from brownie.test import given, strategy
from hypothesis import strategies as st

pytestmark = pytest.mark.slow


@st.composite
def split(draw: Any) -> list[int]:
    """2 to 9 positive shares summing to 10 000 basis points."""
    count = draw(st.integers(min_value=2, max_value=9))
    cuts = sorted(draw(st.lists(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1, unique=True)))
    bounds = [0, *cuts, 10_000]
    return [high - low for low, high in itertools.pairwise(bounds)]


@given(  # type: ignore[untyped-decorator]  # brownie is untyped
    shares=split(),
    amounts=st.lists(strategy("uint256", min_value=1, max_value=10**27), min_size=1, max_size=4),
    lead_index=st.integers(min_value=0, max_value=8),
)
def test_sum_credited_equals_sum_deposited_exactly(
    agreements: Any,
    token: Any,
    members: list[Any],
    customer: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
    shares: list[int],
    amounts: list[int],
    lead_index: int,
) -> None:
    parties = members[: len(shares)]
    lead = parties[lead_index % len(parties)]
    agreement_id = propose(parties=parties, shares=shares, proposer=lead)
    activate(agreement_id)
    for amount in amounts:
        agreements.deposit(agreement_id, token, amount, {"from": customer})

    credited = [agreements.creditedTo(agreement_id, party) for party in parties]
    total = sum(amounts)
    assert sum(credited) + agreements.unassigned(agreement_id) == total
    assert agreements.unassigned(agreement_id) < len(parties)
    for share, credit in zip(shares, credited, strict=True):
        assert credit == total * share // 10_000
