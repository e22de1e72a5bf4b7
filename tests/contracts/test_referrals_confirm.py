"""ReferralRewards: confirmations name the referrer and reserve the rule's reward, never beyond the budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import (
    CLAIMED,
    CONFIRMED,
    PROGRAM_BUDGET,
    RECORDED,
    REWARD_CAP,
    lead,
    now,
    reverts_with,
)


@pytest.fixture
def recorded(referrals: Any, program_id: int, referrer: Any) -> bytes:
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    return commitment


@pytest.mark.parametrize(
    ("value", "reward"),
    [
        (0, 10**18),  # the fixed part only
        (20 * 10**18, 2 * 10**18),  # 1 + 5 % of 20
        (79 * 10**18 + 19, 1 * 10**18 + (79 * 10**18 + 19) * 500 // 10_000),  # rounded down
        (10**21, REWARD_CAP),  # capped
        (2**256 - 1, REWARD_CAP),  # capped, not an overflow
    ],
)
def test_confirmation_reserves_the_rules_reward(
    referrals: Any,
    token: Any,
    program_id: int,
    recorded: bytes,
    sponsor: Any,
    referrer: Any,
    value: int,
    reward: int,
) -> None:
    assert referrals.rewardFor(program_id, value) == reward
    tx = referrals.confirmConversion(program_id, referrer, recorded, value, {"from": sponsor})
    assert tx.return_value == reward
    event = tx.events["ConversionConfirmed"]
    assert (event["referrer"], event["conversionValue"], event["reward"]) == (referrer, value, reward)
    assert tuple(referrals.referral(program_id, referrer, recorded)) == (CONFIRMED, reward, token.address)
    assert referrals.program(program_id)["budget"] == PROGRAM_BUDGET - reward
    assert referrals.earned(program_id, referrer) == 0, "earnings are tracked only under a per-referrer cap"


def test_only_the_sponsor_confirms(referrals: Any, program_id: int, recorded: bytes, referrer: Any) -> None:
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": referrer})


def test_a_sponsor_who_left_confirms_nothing(
    referrals: Any, coop: Any, program_id: int, recorded: bytes, sponsor: Any, referrer: Any
) -> None:
    coop.exit({"from": sponsor})
    with reverts_with("ReferralSponsorInactive", program_id, sponsor.address):
        referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": sponsor})


def test_an_unrecorded_referral_cannot_be_confirmed(
    referrals: Any, program_id: int, sponsor: Any, referrer: Any
) -> None:
    commitment = lead("nobody", referrer)
    with reverts_with("ReferralNotFound", program_id, referrer.address, commitment):
        referrals.confirmConversion(program_id, referrer, commitment, 10**18, {"from": sponsor})


def test_a_confirmation_reaches_only_the_named_referrer(
    referrals: Any, program_id: int, recorded: bytes, sponsor: Any, referrer: Any, members: list[Any]
) -> None:
    """Audit finding 2: a copier's record of the same commitment is not confirmed by confirming the honest
    referrer's, and confirming the copier's would need the sponsor to name it."""
    copier = members[2]
    referrals.recordReferral(program_id, recorded, {"from": copier})
    referrals.confirmConversion(program_id, referrer, recorded, 20 * 10**18, {"from": sponsor})
    assert referrals.referral(program_id, referrer, recorded)[0] == CONFIRMED
    assert referrals.referral(program_id, copier, recorded)[0] == RECORDED
    with reverts_with("ReferralWrongStatus", program_id, copier.address, recorded, RECORDED):
        referrals.claimReward(program_id, recorded, {"from": copier})


def test_a_referral_converts_once(
    referrals: Any, program_id: int, recorded: bytes, sponsor: Any, referrer: Any
) -> None:
    referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": sponsor})
    with reverts_with("ReferralWrongStatus", program_id, referrer.address, recorded, CONFIRMED):
        referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": sponsor})


def test_budget_cannot_be_overdrawn(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, referrer: Any
) -> None:
    program_id = create_program(budget=3 * 10**18)
    first, second = lead("a", referrer), lead("b", referrer)
    referrals.recordReferral(program_id, first, {"from": referrer})
    referrals.recordReferral(program_id, second, {"from": referrer})
    referrals.confirmConversion(program_id, referrer, first, 20 * 10**18, {"from": sponsor})  # reserves 2
    with reverts_with("ReferralBudgetExceeded", program_id, 2 * 10**18, 10**18):
        referrals.confirmConversion(program_id, referrer, second, 20 * 10**18, {"from": sponsor})
    assert referrals.referral(program_id, referrer, second)[0] == RECORDED
    referrals.fund(program_id, 10**18, {"from": sponsor})
    referrals.confirmConversion(program_id, referrer, second, 20 * 10**18, {"from": sponsor})
    assert referrals.program(program_id)["budget"] == 0


def test_per_referrer_cap(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, referrer: Any, members: list[Any]
) -> None:
    program_id = create_program(per_referrer=3 * 10**18)
    other = members[2]
    for name in ("a", "b", "c"):
        referrals.recordReferral(program_id, lead(name, referrer), {"from": referrer})
    referrals.recordReferral(program_id, lead("d", other), {"from": other})
    referrals.confirmConversion(program_id, referrer, lead("a", referrer), 20 * 10**18, {"from": sponsor})
    assert referrals.earned(program_id, referrer) == 2 * 10**18
    with reverts_with(
        "ReferralReferrerCapExceeded", program_id, referrer.address, 2 * 10**18, 2 * 10**18, 3 * 10**18
    ):
        referrals.confirmConversion(program_id, referrer, lead("b", referrer), 20 * 10**18, {"from": sponsor})
    referrals.confirmConversion(program_id, referrer, lead("c", referrer), 0, {"from": sponsor})  # the cap
    referrals.confirmConversion(program_id, other, lead("d", other), 20 * 10**18, {"from": sponsor})
    assert referrals.earned(program_id, referrer) == 3 * 10**18
    assert referrals.earned(program_id, other) == 2 * 10**18


def test_no_confirmation_after_expiry(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, referrer: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    referrals.recordReferral(program_id, lead("x", referrer), {"from": referrer})
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.confirmConversion(program_id, referrer, lead("x", referrer), 10**18, {"from": sponsor})


def test_claimed_referral_cannot_be_confirmed_again(
    referrals: Any, program_id: int, recorded: bytes, sponsor: Any, referrer: Any
) -> None:
    referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": sponsor})
    referrals.claimReward(program_id, recorded, {"from": referrer})
    with reverts_with("ReferralWrongStatus", program_id, referrer.address, recorded, CLAIMED):
        referrals.confirmConversion(program_id, referrer, recorded, 10**18, {"from": sponsor})
