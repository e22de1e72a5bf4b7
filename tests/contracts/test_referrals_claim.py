"""ReferralRewards: claiming — the referrer pulls its confirmed reward once; nobody else can.

`claimReward` has no reentrancy guard: it marks the referral claimed before it pays, and the reentering
contract below proves a reentrant claim finds nothing left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import brownie
import pytest

from conftest import CLAIMED, CONFIRMED, NATIVE, RECORDED, lead, reverts_with


@pytest.fixture
def confirmed(referrals: Any, program_id: int, referrer: Any, sponsor: Any) -> bytes:
    """A referral of ``referrer`` confirmed with a 20 cUSD conversion (reward 2 cUSD)."""
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    referrals.confirmConversion(program_id, referrer, commitment, 20 * 10**18, {"from": sponsor})
    return commitment


def test_referrer_claims_its_reward(
    referrals: Any, token: Any, program_id: int, confirmed: bytes, referrer: Any
) -> None:
    before = token.balanceOf(referrals)
    tx = referrals.claimReward(program_id, confirmed, {"from": referrer})
    assert tx.return_value == 2 * 10**18
    event = tx.events["RewardClaimed"]
    assert (event["programId"], event["referrer"], event["amount"]) == (program_id, referrer, 2 * 10**18)
    assert token.balanceOf(referrer) == 2 * 10**18
    assert before - token.balanceOf(referrals) == 2 * 10**18
    assert referrals.referral(program_id, referrer, confirmed)[0] == CLAIMED


def test_claiming_twice_reverts(referrals: Any, program_id: int, confirmed: bytes, referrer: Any) -> None:
    referrals.claimReward(program_id, confirmed, {"from": referrer})
    with reverts_with("ReferralWrongStatus", program_id, referrer.address, confirmed, CLAIMED):
        referrals.claimReward(program_id, confirmed, {"from": referrer})


def test_nobody_claims_anothers_reward(
    referrals: Any, program_id: int, confirmed: bytes, sponsor: Any, members: list[Any]
) -> None:
    for thief in (members[2], sponsor):
        with reverts_with("ReferralNotFound", program_id, thief.address, confirmed):
            referrals.claimReward(program_id, confirmed, {"from": thief})


def test_an_unconfirmed_referral_cannot_be_claimed(referrals: Any, program_id: int, referrer: Any) -> None:
    commitment = lead("pending", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    with reverts_with("ReferralWrongStatus", program_id, referrer.address, commitment, RECORDED):
        referrals.claimReward(program_id, commitment, {"from": referrer})


def test_native_reward(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, referrer: Any
) -> None:
    program_id = create_program(asset=NATIVE, budget=10 * 10**18)
    commitment = lead("n", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    referrals.confirmConversion(program_id, referrer, commitment, 0, {"from": sponsor})
    before = referrer.balance()
    referrals.claimReward(program_id, commitment, {"from": referrer, "gas_price": 0})
    assert referrer.balance() - before == 10**18


@pytest.fixture
def contract_referrer(
    referrals: Any,
    contract_member: Callable[[str], Any],
    create_program: Callable[..., int],
    sponsor: Any,
    members: list[Any],
) -> tuple[Any, int, bytes]:
    """A contract member (of members[0]) with a confirmed native reward of 1: (party, program, referral)."""
    party = contract_member("Contract Co")
    program_id = create_program(asset=NATIVE, budget=10 * 10**18)
    commitment = lead("contract-lead", party)
    party.forward(
        referrals, referrals.recordReferral.encode_input(program_id, commitment), {"from": members[0]}
    )
    referrals.confirmConversion(program_id, party, commitment, 0, {"from": sponsor})
    return party, program_id, commitment


def test_a_claim_reentered_pays_once(
    referrals: Any, contract_referrer: tuple[Any, int, bytes], members: list[Any]
) -> None:
    attacker, program_id, commitment = contract_referrer
    claim = referrals.claimReward.encode_input(program_id, commitment)
    attacker.configure(claim, False, {"from": members[0]})

    attacker.forward(referrals, claim, {"from": members[0]})
    assert attacker.reentrySucceeded() is False
    assert attacker.balance() == 10**18, "paid once"
    assert referrals.balance() == 9 * 10**18


def test_a_referrer_refusing_the_native_coin_keeps_its_reward(
    referrals: Any, contract_referrer: tuple[Any, int, bytes], members: list[Any]
) -> None:
    refuser, program_id, commitment = contract_referrer
    refuser.configure(b"", True, {"from": members[0]})
    with brownie.reverts("refusing native coin"):
        refuser.forward(
            referrals, referrals.claimReward.encode_input(program_id, commitment), {"from": members[0]}
        )
    assert referrals.referral(program_id, refuser, commitment)[0] == CONFIRMED
