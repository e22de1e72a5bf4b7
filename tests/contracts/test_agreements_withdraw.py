"""Agreements: withdrawing — a party pulls exactly what it was credited, once, safely."""

from __future__ import annotations

from typing import Any

import brownie

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


def test_reentrant_withdrawal_is_blocked(
    agreements: Any, contract_member: Any, propose: Any, members: list[Any], customer: Any
) -> None:
    owner = members[0]
    attacker = contract_member("Attacker Co")
    agreement_id = propose(parties=[members[0], attacker], shares=[5_000, 5_000], asset=NATIVE)
    attacker.forward(agreements, agreements.sign.encode_input(agreement_id, 1), {"from": owner})
    agreements.deposit(agreement_id, NATIVE, 10**18, {"from": customer, "value": 10**18})
    attacker.configure(agreements.withdraw.encode_input(agreement_id), False, {"from": owner})

    attacker.forward(agreements, agreements.withdraw.encode_input(agreement_id), {"from": owner})
    assert attacker.reentrySucceeded() is False, "the nested withdraw must fail"
    assert attacker.balance() == 5 * 10**17, "paid once, not twice"
    assert agreements.balance() == 5 * 10**17


def test_party_refusing_the_native_coin_keeps_its_credit(
    agreements: Any, contract_member: Any, propose: Any, members: list[Any], customer: Any
) -> None:
    owner = members[0]
    refuser = contract_member("Refuser Co")
    agreement_id = propose(parties=[members[0], refuser], shares=[5_000, 5_000], asset=NATIVE)
    refuser.forward(agreements, agreements.sign.encode_input(agreement_id, 1), {"from": owner})
    agreements.deposit(agreement_id, NATIVE, 1_000_000, {"from": customer, "value": 1_000_000})
    refuser.configure(b"", True, {"from": owner})
    with brownie.reverts("refusing native coin"):
        refuser.forward(agreements, agreements.withdraw.encode_input(agreement_id), {"from": owner})
    assert agreements.withdrawable(agreement_id, refuser) == 500_000
