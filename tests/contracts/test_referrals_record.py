"""ReferralRewards: recording referrals as commitments — members only, not the sponsor, under the referrer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import NATIVE, RECORDED, lead, now, reverts_with


def test_referrer_records_a_commitment(referrals: Any, program_id: int, referrer: Any, sponsor: Any) -> None:
    commitment = lead("jane@example.com", referrer)
    tx = referrals.recordReferral(program_id, commitment, {"from": referrer})
    event = tx.events["ReferralRecorded"]
    assert (event["programId"], event["sponsor"], event["referrer"], event["commitment"]) == (
        program_id,
        sponsor,
        referrer,
        "0x" + commitment.hex(),
    )
    assert tuple(referrals.referral(program_id, referrer, commitment)) == (RECORDED, 0, NATIVE)


def test_a_referrer_records_a_commitment_once(referrals: Any, program_id: int, referrer: Any) -> None:
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    with reverts_with("ReferralDuplicate", program_id, referrer.address, commitment):
        referrals.recordReferral(program_id, commitment, {"from": referrer})


def test_a_copied_commitment_is_the_copiers_own_and_blocks_nobody(
    referrals: Any, program_id: int, referrer: Any, members: list[Any]
) -> None:
    """Audit finding 2: the copier of a pending recordReferral (higher tip, mined first) used to become the
    referrer of record. Now its copy is a separate referral under its own address, and the honest referrer's
    transaction, mined after it, still records the honest referral."""
    copier = members[2]
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": copier})
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    assert referrals.referral(program_id, referrer, commitment)[0] == RECORDED
    assert referrals.referral(program_id, copier, commitment)[0] == RECORDED


def test_the_same_lead_may_be_referred_to_another_program(
    referrals: Any, create_program: Callable[..., int], program_id: int, referrer: Any
) -> None:
    other = create_program()
    commitment = lead("jane@example.com", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    referrals.recordReferral(other, commitment, {"from": referrer})
    assert referrals.referral(other, referrer, commitment)[0] == RECORDED


def test_sponsor_cannot_refer_to_its_own_program(referrals: Any, program_id: int, sponsor: Any) -> None:
    with reverts_with("ReferralSelfReferral", program_id, sponsor.address):
        referrals.recordReferral(program_id, lead("me", sponsor), {"from": sponsor})


def test_non_member_cannot_refer(referrals: Any, program_id: int, outsider: Any) -> None:
    with reverts_with("ReferralNotActiveMember", outsider.address):
        referrals.recordReferral(program_id, lead("x", outsider), {"from": outsider})


def test_suspended_member_cannot_refer(
    referrals: Any, coop: Any, program_id: int, members: list[Any], referrer: Any
) -> None:
    proposal_id = coop.proposeSuspension(referrer, {"from": members[0]}).return_value
    for voter in members[2:7]:
        coop.approve(proposal_id, {"from": voter})
    with reverts_with("ReferralNotActiveMember", referrer.address):
        referrals.recordReferral(program_id, lead("x", referrer), {"from": referrer})


def test_no_referral_to_the_program_of_a_sponsor_who_left(
    referrals: Any, coop: Any, program_id: int, sponsor: Any, referrer: Any
) -> None:
    coop.exit({"from": sponsor})
    with reverts_with("ReferralSponsorInactive", program_id, sponsor.address):
        referrals.recordReferral(program_id, lead("x", referrer), {"from": referrer})


def test_no_referral_after_expiry(
    referrals: Any, create_program: Callable[..., int], referrer: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.recordReferral(program_id, lead("late", referrer), {"from": referrer})


def test_no_referral_to_an_unknown_program(referrals: Any, referrer: Any) -> None:
    with reverts_with("ReferralUnknownProgram", 5):
        referrals.recordReferral(5, lead("x", referrer), {"from": referrer})
