"""ReferralRewards: after expiry the sponsor reclaims what is not owed; reserved rewards stay claimable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import PROGRAM_BUDGET, lead, now, reverts_with


@pytest.fixture
def expiring(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, referrer: Any
) -> tuple[int, int]:
    """A program expiring in 100 s with one confirmed, unclaimed reward of 2 cUSD; returns (id, expiry)."""
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    referrals.recordReferral(program_id, lead("x", referrer), {"from": referrer})
    referrals.confirmConversion(program_id, referrer, lead("x", referrer), 20 * 10**18, {"from": sponsor})
    return program_id, expiry


def test_sponsor_reclaims_the_unreserved_budget_and_rewards_stay_claimable(
    referrals: Any, token: Any, expiring: tuple[int, int], sponsor: Any, referrer: Any, chain: Any
) -> None:
    program_id, _ = expiring
    chain.sleep(101)
    before = token.balanceOf(sponsor)
    tx = referrals.reclaimBudget(program_id, {"from": sponsor})
    assert tx.return_value == PROGRAM_BUDGET - 2 * 10**18
    assert tx.events["BudgetReclaimed"]["amount"] == PROGRAM_BUDGET - 2 * 10**18
    assert token.balanceOf(sponsor) - before == PROGRAM_BUDGET - 2 * 10**18
    assert token.balanceOf(referrals) == 2 * 10**18, "the reserved reward stays"
    referrals.claimReward(program_id, lead("x", referrer), {"from": referrer})
    assert token.balanceOf(referrals) == 0


def test_reserved_funds_cannot_be_reclaimed(
    referrals: Any, expiring: tuple[int, int], sponsor: Any, chain: Any
) -> None:
    program_id, _ = expiring
    chain.sleep(101)
    referrals.reclaimBudget(program_id, {"from": sponsor})
    with reverts_with("ReferralNothingToReclaim", program_id):
        referrals.reclaimBudget(program_id, {"from": sponsor})


def test_no_reclaim_before_expiry(referrals: Any, expiring: tuple[int, int], sponsor: Any) -> None:
    program_id, expiry = expiring
    with reverts_with("ReferralProgramNotExpired", program_id, expiry):
        referrals.reclaimBudget(program_id, {"from": sponsor})


def test_closing_allows_an_early_reclaim(referrals: Any, expiring: tuple[int, int], sponsor: Any) -> None:
    program_id, _ = expiring
    referrals.closeProgram(program_id, {"from": sponsor})
    assert referrals.reclaimBudget(program_id, {"from": sponsor}).return_value == PROGRAM_BUDGET - 2 * 10**18


def test_only_the_sponsor_reclaims(
    referrals: Any, expiring: tuple[int, int], referrer: Any, chain: Any
) -> None:
    program_id, _ = expiring
    chain.sleep(101)
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.reclaimBudget(program_id, {"from": referrer})
