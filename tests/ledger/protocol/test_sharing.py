"""The sharing rule: over any deposits and share changes, every party's credit stays within one smallest unit
below its exact pro-rata share, nothing is credited twice, and the dust is fewer units than parties."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger.protocol.sharing import BPS, credit_increments, dust, reshare


def _shares(cuts: list[int]) -> dict[str, int]:
    bounds = [0, *sorted(cuts), BPS]
    return {f"p{i}": high - low for i, (low, high) in enumerate(itertools.pairwise(bounds))}


@given(
    cuts=st.lists(st.integers(min_value=1, max_value=BPS - 1), min_size=1, max_size=63, unique=True),
    deposits=st.lists(st.integers(min_value=1, max_value=10**24), min_size=1, max_size=60),
)
def test_no_party_drifts_a_whole_unit_over_any_sequence_of_deposits(
    cuts: list[int], deposits: list[int]
) -> None:
    """Audit finding 5: with the old rule a 2-decimal token's 99.99 deposit went wholly to the lead."""
    shares = _shares(cuts)
    credits = dict.fromkeys(shares, 0)
    credited = 0
    for amount in deposits:
        for party, gain in credit_increments(credited, amount, shares).items():
            assert gain >= 0
            credits[party] += gain
        credited += amount
        for party, share in shares.items():
            exact = Fraction(credited * share, BPS)
            assert exact - 1 < credits[party] <= exact
        assert sum(credits.values()) + dust(credited, shares) == credited
        assert 0 <= dust(credited, shares) < len(shares)


def test_a_small_deposit_is_shared_not_handed_to_one_party() -> None:
    shares = {"lead": 5_000, "other": 5_000}
    credits = dict.fromkeys(shares, 0)
    credited = 0
    for _ in range(100):  # a hundred 99.99 deposits of a 2-decimal token
        for party, gain in credit_increments(credited, 9_999, shares).items():
            credits[party] += gain
        credited += 9_999
    assert credits == {"lead": 499_950, "other": 499_950}


@given(
    old_cuts=st.lists(st.integers(min_value=1, max_value=BPS - 1), min_size=1, max_size=20, unique=True),
    new_shares=st.lists(st.integers(min_value=1, max_value=BPS), min_size=21, max_size=21),
    credited=st.integers(min_value=0, max_value=10**30),
)
def test_a_share_change_carries_the_dust_and_loses_nothing(
    old_cuts: list[int], new_shares: list[int], credited: int
) -> None:
    old = _shares(old_cuts)
    total = sum(new_shares[: len(old)])
    new = {party: share * BPS // total for party, share in zip(old, new_shares, strict=False)}
    first = next(iter(new))
    new[first] += BPS - sum(new.values())
    settled = {party: credited * share // BPS for party, share in old.items()}
    gains, carried = reshare(credited, old, new)
    assert carried == dust(credited, old) < len(old)
    assert sum(settled.values()) + carried == credited
    assert sum(gains.values()) + dust(carried, new) == carried
