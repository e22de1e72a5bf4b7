"""Agreements: termination by every party's consent; credited balances stay withdrawable forever."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import EXPIRED, PROPOSED, TERMINATED, now, reverts_with


def test_terminated_when_every_party_consented(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 10_000, {"from": customer})
    agreements.consentToTerminate(active_id, {"from": members[0]})
    agreements.consentToTerminate(active_id, {"from": members[1]})
    agreements.deposit(active_id, token, 10_000, {"from": customer})  # still active with 2 of 3 consents
    tx = agreements.consentToTerminate(active_id, {"from": members[2]})
    assert tx.events["AgreementTerminated"]["releasedAmount"] == 0
    assert agreements.statusOf(active_id) == TERMINATED
    with reverts_with("AgreementWrongStatus", active_id, TERMINATED):
        agreements.deposit(active_id, token, 10_000, {"from": customer})
    agreements.withdraw(active_id, {"from": members[2]})
    assert token.balanceOf(members[2]) == 4_000


def test_termination_credits_deposits_held_by_a_dispute(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.raiseDispute(active_id, b"\x01" * 32, {"from": members[0]})
    agreements.deposit(active_id, token, 10_000, {"from": customer})
    for party in members[:3]:
        tx = agreements.consentToTerminate(active_id, {"from": party})
    assert tx.events["AgreementTerminated"]["releasedAmount"] == 10_000
    assert agreements.withdrawable(active_id, members[1]) == 3_000


def test_a_proposal_can_be_withdrawn_by_all_parties(
    agreements: Any, propose: Callable[..., int], members: list[Any]
) -> None:
    agreement_id = propose()
    for party in members[:3]:
        agreements.consentToTerminate(agreement_id, {"from": party})
    assert agreements.statusOf(agreement_id) == TERMINATED
    with reverts_with("AgreementVersionNotPending", agreement_id, 1):
        agreements.sign(agreement_id, 1, {"from": members[1]})


def test_consenting_twice_reverts(agreements: Any, active_id: int, members: list[Any]) -> None:
    agreements.consentToTerminate(active_id, {"from": members[0]})
    with reverts_with("AgreementAlreadyVoted", active_id, members[0].address):
        agreements.consentToTerminate(active_id, {"from": members[0]})


def test_non_party_cannot_consent(agreements: Any, active_id: int, members: list[Any]) -> None:
    with reverts_with("AgreementNotParty", active_id, members[4].address):
        agreements.consentToTerminate(active_id, {"from": members[4]})


def test_terminated_agreement_cannot_be_terminated_again(
    agreements: Any, active_id: int, members: list[Any]
) -> None:
    for party in members[:3]:
        agreements.consentToTerminate(active_id, {"from": party})
    with reverts_with("AgreementWrongStatus", active_id, TERMINATED):
        agreements.consentToTerminate(active_id, {"from": members[0]})


# ------------------------------------------------------------------- the audit's finding 7 (views)

DAY = 24 * 3600


def test_a_proposal_past_its_end_time_is_expired(
    agreements: Any, propose: Callable[..., int], chain: Any
) -> None:
    end = now() + 10 * DAY
    proposed = propose(end=end)
    assert agreements.statusOf(proposed) == PROPOSED
    chain.sleep(end - now() + 1)
    chain.mine()
    assert agreements.statusOf(proposed) == EXPIRED


def test_a_dispute_past_the_end_time_is_expired_and_can_still_end(
    agreements: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
    members: list[Any],
    token: Any,
    customer: Any,
    chain: Any,
) -> None:
    end = now() + 10 * DAY
    agreement_id = propose(end=end)
    activate(agreement_id)
    agreements.raiseDispute(agreement_id, b"\x01" * 32, {"from": members[1]})
    agreements.deposit(agreement_id, token, 10_000, {"from": customer})
    chain.sleep(end - now() + 1)
    chain.mine()
    assert agreements.statusOf(agreement_id) == EXPIRED
    tx = agreements.voteToResolve(agreement_id, {"from": members[1]})
    assert tx.events["DisputeResolved"]["releasedAmount"] == 10_000
    assert agreements.statusOf(agreement_id) == EXPIRED


# ------------------------------------------ audit finding 4: consents lapse, a departed party blocks nothing


def test_termination_consents_lapse_after_the_window(
    agreements: Any, active_id: int, members: list[Any], chain: Any
) -> None:
    window = agreements.CONSENT_WINDOW()
    agreements.consentToTerminate(active_id, {"from": members[0]})
    agreements.consentToTerminate(active_id, {"from": members[1]})
    chain.sleep(window + 1)
    tx = agreements.consentToTerminate(active_id, {"from": members[2]})
    assert "AgreementTerminated" not in tx.events, "the two old consents lapsed"
    agreements.consentToTerminate(active_id, {"from": members[0]})  # a new round: consenting again is allowed
    tx = agreements.consentToTerminate(active_id, {"from": members[1]})
    assert agreements.statusOf(active_id) == TERMINATED


def test_a_party_that_left_is_not_waited_for_to_terminate(
    agreements: Any, coop: Any, active_id: int, members: list[Any]
) -> None:
    coop.exit({"from": members[2]})
    agreements.consentToTerminate(active_id, {"from": members[0]})
    tx = agreements.consentToTerminate(active_id, {"from": members[1]})
    assert tx.events["AgreementTerminated"]["id"] == active_id
    assert agreements.statusOf(active_id) == TERMINATED
