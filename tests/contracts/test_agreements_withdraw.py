"""Agreements: withdrawing — a party pulls exactly what it was credited, once, safely."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from conftest import NATIVE, reverts_with


def test_party_withdraws_its_erc20_credit(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 1_000_000, {"from": customer})
    tx = agreements.withdraw(active_id, {"from": members[1]})
    assert tx.return_value == 300_000
    event = tx.events["Withdrawn"]
    assert (event["id"], event["party"], event["amount"]) == (active_id, members[1], 300_000)
    assert token.balanceOf(members[1]) == 300_000
    assert agreements.withdrawnBy(active_id, members[1]) == 300_000
    assert agreements.withdrawable(active_id, members[1]) == 0
    assert token.balanceOf(agreements) == 700_000


def test_later_deposits_become_withdrawable_again(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 1_000_000, {"from": customer})
    agreements.withdraw(active_id, {"from": members[2]})
    agreements.deposit(active_id, token, 500_000, {"from": customer})
    assert agreements.withdraw(active_id, {"from": members[2]}).return_value == 100_000
    assert token.balanceOf(members[2]) == 300_000


def test_withdrawing_twice_reverts(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 1_000_000, {"from": customer})
    agreements.withdraw(active_id, {"from": members[0]})
    with reverts_with("AgreementNothingToWithdraw", active_id, members[0].address):
        agreements.withdraw(active_id, {"from": members[0]})


def test_non_party_cannot_withdraw(agreements: Any, token: Any, active_id: int, customer: Any) -> None:
    agreements.deposit(active_id, token, 1_000_000, {"from": customer})
    with reverts_with("AgreementNotParty", active_id, customer.address):
        agreements.withdraw(active_id, {"from": customer})


def test_native_withdrawal(
    agreements: Any, propose: Any, activate: Any, members: list[Any], customer: Any
) -> None:
    agreement_id = propose(asset=NATIVE)
    activate(agreement_id)
    agreements.deposit(agreement_id, NATIVE, 10**18, {"from": customer, "value": 10**18})
    before = members[2].balance()
    agreements.withdraw(agreement_id, {"from": members[2], "gas_price": 0})
    assert members[2].balance() - before == 2 * 10**17


def test_suspended_or_exited_party_still_withdraws(
    agreements: Any, coop: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    agreements.deposit(active_id, token, 1_000_000, {"from": customer})
    coop.exit({"from": members[2]})
    agreements.withdraw(active_id, {"from": members[2]})
    assert token.balanceOf(members[2]) == 200_000


@pytest.fixture
def contract_party(
    agreements: Any, contract_member: Any, propose: Any, members: list[Any], customer: Any
) -> tuple[Any, int]:
    """A contract member (of members[0]) in an active 50/50 native agreement with 1 ether deposited."""
    party = contract_member("Contract Co")
    agreement_id = propose(parties=[members[0], party], shares=[5_000, 5_000], asset=NATIVE)
    party.forward(agreements, agreements.sign.encode_input(agreement_id, 1), {"from": members[0]})
    agreements.deposit(agreement_id, NATIVE, 10**18, {"from": customer, "value": 10**18})
    return party, agreement_id


def test_reentrant_withdrawal_is_blocked(
    agreements: Any, contract_party: tuple[Any, int], members: list[Any]
) -> None:
    attacker, agreement_id = contract_party
    withdraw = agreements.withdraw.encode_input(agreement_id)
    attacker.configure(withdraw, False, {"from": members[0]})

    attacker.forward(agreements, withdraw, {"from": members[0]})
    assert attacker.reentrySucceeded() is False, "the nested withdraw must fail"
    assert attacker.balance() == 5 * 10**17, "paid once, not twice"
    assert agreements.balance() == 5 * 10**17


def test_party_refusing_the_native_coin_keeps_its_credit(
    agreements: Any, contract_party: tuple[Any, int], members: list[Any]
) -> None:
    refuser, agreement_id = contract_party
    refuser.configure(b"", True, {"from": members[0]})
    with brownie.reverts("refusing native coin"):
        refuser.forward(agreements, agreements.withdraw.encode_input(agreement_id), {"from": members[0]})
    assert agreements.withdrawable(agreement_id, refuser) == 5 * 10**17
