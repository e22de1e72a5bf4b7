"""Agreements: disputes hold deposits until the raiser or a majority of the other parties resolves them, or
anybody releases them once the dispute window has passed; only an active member raises one, while the
agreement is in force, and not again within the cooldown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import ACTIVE, DISPUTED, YEAR, now, reverts_with

REASON = b"\x33" * 32
DAY = 24 * 3600


def test_deposits_are_held_during_a_dispute_and_credited_when_resolved(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 10_000, {"from": customer})
    tx = agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    assert tx.events["DisputeRaised"]["reasonHash"] == "0x" + REASON.hex()
    assert agreements.statusOf(active_id) == DISPUTED

    tx = agreements.deposit(active_id, token, 20_000, {"from": customer})
    assert tx.events["RevenueDeposited"]["held"] is True
    assert agreements.agreement(active_id)["held"] == 20_000
    assert agreements.creditedTo(active_id, members[1]) == 3_000, "held money is not credited"
    agreements.withdraw(active_id, {"from": members[1]})  # what was credited before stays withdrawable

    agreements.voteToResolve(active_id, {"from": members[0]})
    assert agreements.statusOf(active_id) == DISPUTED, "1 of 3 is not a majority"
    tx = agreements.voteToResolve(active_id, {"from": members[2]})
    assert tx.events["DisputeResolved"]["releasedAmount"] == 20_000
    assert agreements.statusOf(active_id) == ACTIVE
    assert agreements.agreement(active_id)["held"] == 0
    assert agreements.creditedTo(active_id, members[1]) == 9_000
    assert agreements.agreement(active_id)["totalCredited"] == 30_000


def test_votes_of_an_earlier_dispute_do_not_count_in_the_next(
    agreements: Any, active_id: int, members: list[Any], chain: Any
) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    agreements.voteToResolve(active_id, {"from": members[0]})
    agreements.voteToResolve(active_id, {"from": members[1]})
    chain.sleep(agreements.DISPUTE_COOLDOWN())
    agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    agreements.voteToResolve(active_id, {"from": members[0]})
    assert agreements.statusOf(active_id) == DISPUTED


def test_non_party_cannot_raise_or_resolve(agreements: Any, active_id: int, members: list[Any]) -> None:
    with reverts_with("AgreementNotParty", active_id, members[5].address):
        agreements.raiseDispute(active_id, REASON, {"from": members[5]})
    agreements.raiseDispute(active_id, REASON, {"from": members[0]})
    with reverts_with("AgreementNotParty", active_id, members[5].address):
        agreements.voteToResolve(active_id, {"from": members[5]})


def test_dispute_on_a_disputed_or_proposed_agreement_reverts(
    agreements: Any, propose: Callable[..., int], active_id: int, members: list[Any]
) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[0]})
    with reverts_with("AgreementWrongStatus", active_id, DISPUTED):
        agreements.raiseDispute(active_id, REASON, {"from": members[1]})
    proposed = propose()
    with reverts_with("AgreementWrongStatus", proposed, 1):
        agreements.raiseDispute(proposed, REASON, {"from": members[1]})


def test_resolving_without_a_dispute_reverts(agreements: Any, active_id: int, members: list[Any]) -> None:
    with reverts_with("AgreementWrongStatus", active_id, ACTIVE):
        agreements.voteToResolve(active_id, {"from": members[0]})


def test_voting_twice_reverts(agreements: Any, active_id: int, members: list[Any]) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[0]})
    agreements.voteToResolve(active_id, {"from": members[1]})
    with reverts_with("AgreementAlreadyVoted", active_id, members[1].address):
        agreements.voteToResolve(active_id, {"from": members[1]})


# ----------------------------------------------------------------------- the audit's finding 1 (hostage)


def _two_party(propose: Callable[..., int], activate: Callable[[int], None], members: list[Any]) -> int:
    agreement_id = propose(parties=members[:2], shares=[6_000, 4_000])
    activate(agreement_id)
    return agreement_id


def test_in_a_two_party_agreement_the_raiser_has_no_veto(
    agreements: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
    token: Any,
    members: list[Any],
    customer: Any,
) -> None:
    agreement_id = _two_party(propose, activate, members)
    agreements.raiseDispute(agreement_id, REASON, {"from": members[1]})
    agreements.deposit(agreement_id, token, 10_000, {"from": customer})
    tx = agreements.voteToResolve(agreement_id, {"from": members[0]})  # the other party alone
    assert tx.events["DisputeResolved"]["releasedAmount"] == 10_000
    assert agreements.statusOf(agreement_id) == ACTIVE
    assert agreements.creditedTo(agreement_id, members[0]) == 6_000


def test_the_raiser_withdraws_its_dispute_by_voting(
    agreements: Any, active_id: int, members: list[Any]
) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[1]})
    tx = agreements.voteToResolve(active_id, {"from": members[1]})
    assert "DisputeResolved" in tx.events
    assert agreements.statusOf(active_id) == ACTIVE


def test_a_minority_cannot_hold_deposits_past_the_window(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any, outsider: Any, chain: Any
) -> None:
    raised = agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    agreements.deposit(active_id, token, 20_000, {"from": customer})
    releasable = raised.timestamp + agreements.DISPUTE_WINDOW()
    with reverts_with("AgreementDisputeWindowOpen", active_id, releasable):
        agreements.releaseDispute(active_id, {"from": outsider})
    chain.sleep(releasable - now())
    chain.mine()
    tx = agreements.releaseDispute(active_id, {"from": outsider})  # anybody, even a non-member
    assert tx.events["DisputeReleased"]["releasedAmount"] == 20_000
    assert tx.events["DisputeReleased"]["by"] == outsider
    assert agreements.statusOf(active_id) == ACTIVE
    assert agreements.agreement(active_id)["held"] == 0
    assert agreements.creditedTo(active_id, members[0]) == 10_000, "credited exactly as a resolution does"


def test_releasing_without_a_dispute_reverts(agreements: Any, active_id: int, outsider: Any) -> None:
    with reverts_with("AgreementWrongStatus", active_id, ACTIVE):
        agreements.releaseDispute(active_id, {"from": outsider})


def test_a_suspended_party_cannot_raise_a_dispute(
    agreements: Any, coop: Any, active_id: int, members: list[Any]
) -> None:
    target = members[2]
    proposal_id = coop.proposeSuspension(target, {"from": members[0]}).return_value
    for voter in [member for member in members if member != target][:5]:
        coop.approve(proposal_id, {"from": voter})
    assert not coop.isActiveMember(target)
    with reverts_with("AgreementNotActiveMember", target.address):
        agreements.raiseDispute(active_id, REASON, {"from": target})


def test_no_dispute_after_the_end_time(
    agreements: Any,
    propose: Callable[..., int],
    activate: Callable[[int], None],
    members: list[Any],
    chain: Any,
) -> None:
    end = now() + 10 * DAY
    agreement_id = propose(end=end)
    activate(agreement_id)
    chain.sleep(end - now() + 1)
    chain.mine()
    with reverts_with("AgreementExpired", agreement_id, end):
        agreements.raiseDispute(agreement_id, REASON, {"from": members[0]})


def test_no_dispute_before_the_start_time(
    agreements: Any, propose: Callable[..., int], activate: Callable[[int], None], members: list[Any]
) -> None:
    start = now() + 10 * DAY
    agreement_id = propose(start=start, end=start + YEAR)
    activate(agreement_id)
    with reverts_with("AgreementNotStarted", agreement_id, start):
        agreements.raiseDispute(agreement_id, REASON, {"from": members[0]})


def test_a_dispute_cannot_be_raised_again_within_the_cooldown(
    agreements: Any, active_id: int, members: list[Any], chain: Any
) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    resolved = agreements.voteToResolve(active_id, {"from": members[2]})
    available = resolved.timestamp + agreements.DISPUTE_COOLDOWN()
    with reverts_with("AgreementDisputeCooldown", active_id, available):
        agreements.raiseDispute(active_id, REASON, {"from": members[0]})
    chain.sleep(available - now())
    chain.mine()
    agreements.raiseDispute(active_id, REASON, {"from": members[0]})
    assert agreements.statusOf(active_id) == DISPUTED
