"""Agreements: disputes hold deposits until a majority of the parties resolves them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conftest import ACTIVE, DISPUTED, reverts_with

REASON = b"\x33" * 32


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
    agreements: Any, active_id: int, members: list[Any]
) -> None:
    agreements.raiseDispute(active_id, REASON, {"from": members[2]})
    agreements.voteToResolve(active_id, {"from": members[0]})
    agreements.voteToResolve(active_id, {"from": members[1]})
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
