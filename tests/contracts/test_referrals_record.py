"""ReferralRewards: recording referrals as commitments — members only, never the sponsor, first come wins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import RECORDED, lead, now, reverts_with


def test_referrer_records_a_commitment(referrals: Any, program_id: int, referrer: Any, sponsor: Any) -> None:
    commitment = lead("jane@example.com")
    tx = referrals.recordReferral(program_id, commitment, {"from": referrer})
    event = tx.events["ReferralRecorded"]
    assert (event["programId"], event["sponsor"], event["referrer"], event["commitment"]) == (
        program_id,
        sponsor,
        referrer,
        "0x" + commitment.hex(),
    )
    assert tuple(referrals.referral(program_id, commitment)) == (referrer, RECORDED, 0)


def test_the_same_lead_is_recorded_once_first_come_wins(
    referrals: Any, program_id: int, referrer: Any, members: list[Any]
) -> None:
    commitment = lead("jane@example.com")
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    with reverts_with("ReferralDuplicate", program_id, commitment):
        referrals.recordReferral(program_id, commitment, {"from": members[2]})
    with reverts_with("ReferralDuplicate", program_id, commitment):
        referrals.recordReferral(program_id, commitment, {"from": referrer})
    assert referrals.referral(program_id, commitment)[0] == referrer


def test_the_same_lead_may_be_referred_to_another_program(
    referrals: Any, create_program: Callable[..., int], program_id: int, referrer: Any
) -> None:
    other = create_program()
    commitment = lead("jane@example.com")
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    referrals.recordReferral(other, commitment, {"from": referrer})
    assert referrals.referral(other, commitment)[1] == RECORDED


def test_sponsor_cannot_refer_to_its_own_program(referrals: Any, program_id: int, sponsor: Any) -> None:
    with reverts_with("ReferralSelfReferral", program_id, sponsor.address):
        referrals.recordReferral(program_id, lead("me"), {"from": sponsor})


def test_non_member_cannot_refer(referrals: Any, program_id: int, outsider: Any) -> None:
    with reverts_with("ReferralNotActiveMember", outsider.address):
        referrals.recordReferral(program_id, lead("x"), {"from": outsider})


def test_suspended_member_cannot_refer(
    referrals: Any, coop: Any, program_id: int, members: list[Any], referrer: Any
) -> None:
    proposal_id = coop.proposeSuspension(referrer, {"from": members[0]}).return_value
    for voter in members[2:7]:
        coop.approve(proposal_id, {"from": voter})
    with reverts_with("ReferralNotActiveMember", referrer.address):
        referrals.recordReferral(program_id, lead("x"), {"from": referrer})


def test_no_referral_after_expiry(
    referrals: Any, create_program: Callable[..., int], referrer: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.recordReferral(program_id, lead("late"), {"from": referrer})


def test_no_referral_to_an_unknown_program(referrals: Any, referrer: Any) -> None:
    with reverts_with("ReferralUnknownProgram", 5):
        referrals.recordReferral(5, lead("x"), {"from": referrer})
