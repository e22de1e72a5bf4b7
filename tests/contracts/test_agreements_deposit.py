"""Agreements: deposits are credited pro rata, within one smallest unit, to the parties; wrong deposits and
deposits past the lifetime limit are refused at the entrance."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import NATIVE, now, reverts_with


def test_erc20_deposit_is_credited_pro_rata(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    amount = 1_000_000 * 10**18 + 12_345
    tx = agreements.deposit(active_id, token, amount, {"from": customer})
    event = tx.events["RevenueDeposited"]
    assert (event["id"], event["contributor"], event["amount"], event["held"]) == (
        active_id,
        customer,
        amount,
        False,
    )
    assert agreements.creditedTo(active_id, members[0]) == amount * 5_000 // 10_000
    assert agreements.creditedTo(active_id, members[1]) == amount * 3_000 // 10_000
    assert agreements.creditedTo(active_id, members[2]) == amount * 2_000 // 10_000
    credited = sum(agreements.creditedTo(active_id, m) for m in members[:3])
    assert credited + agreements.unassigned(active_id) == amount
    assert agreements.unassigned(active_id) < 3, "the dust is fewer units than there are parties"
    assert agreements.agreement(active_id)["totalCredited"] == amount
    assert token.balanceOf(agreements) == amount


def test_small_deposits_are_shared_not_handed_to_the_lead(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    """Audit finding 5: each 9 999-unit deposit (99.99 of a 2-decimal token) went wholly to the lead. Now
    rounding is applied once to the running total, so no party drifts a whole unit from its exact share."""
    for _ in range(3):
        agreements.deposit(active_id, token, 9_999, {"from": customer})
    total = 3 * 9_999
    shares = (5_000, 3_000, 2_000)
    for member, share in zip(members[:3], shares, strict=True):
        assert agreements.creditedTo(active_id, member) == total * share // 10_000
    assert [agreements.creditedTo(active_id, m) for m in members[:3]] == [14_998, 8_999, 5_999]
    assert agreements.unassigned(active_id) == 1


def test_a_deposit_past_the_lifetime_limit_is_refused_at_the_entrance(
    agreements: Any, token: Any, active_id: int, members: list[Any], customer: Any
) -> None:
    """Audit finding 3: credits stored in 112 bits froze once a party's lifetime credit passed 2^112. Now the
    deposit that would pass the limit reverts, and everything accepted below it can be withdrawn."""
    limit = agreements.MAX_REVENUE()
    assert limit == 2**112 - 1
    token.mint(customer, 2**113, {"from": customer})
    token.approve(agreements, 2**256 - 1, {"from": customer})
    agreements.deposit(active_id, token, limit - 5, {"from": customer})
    with reverts_with("AgreementRevenueLimit", active_id, limit - 5, 6, limit):
        agreements.deposit(active_id, token, 6, {"from": customer})
    agreements.deposit(active_id, token, 5, {"from": customer})
    for member in members[:3]:
        agreements.withdraw(active_id, {"from": member})
    assert token.balanceOf(agreements) == agreements.unassigned(active_id) < 3


def test_native_deposit(
    agreements: Any, propose: Any, activate: Any, members: list[Any], customer: Any
) -> None:
    agreement_id = propose(asset=NATIVE)
    activate(agreement_id)
    agreements.deposit(agreement_id, NATIVE, "1 ether", {"from": customer, "value": "1 ether"})
    assert agreements.creditedTo(agreement_id, members[1]) == 3 * 10**17
    assert agreements.balance() == 10**18


def test_a_member_can_deposit_too(agreements: Any, token: Any, active_id: int, members: list[Any]) -> None:
    token.mint(members[4], 10_000, {"from": members[4]})
    token.approve(agreements, 10_000, {"from": members[4]})
    tx = agreements.deposit(active_id, token, 10_000, {"from": members[4]})
    assert tx.events["RevenueDeposited"]["contributor"] == members[4]


def test_zero_amount_reverts(agreements: Any, token: Any, active_id: int, customer: Any) -> None:
    with reverts_with("AgreementZeroAmount"):
        agreements.deposit(active_id, token, 0, {"from": customer})


def test_wrong_asset_reverts(agreements: Any, token: Any, active_id: int, customer: Any) -> None:
    with reverts_with("AgreementWrongAsset", active_id, token.address, NATIVE):
        agreements.deposit(active_id, NATIVE, 100, {"from": customer, "value": 100})


def test_native_value_with_an_erc20_deposit_reverts(
    agreements: Any, token: Any, active_id: int, customer: Any
) -> None:
    with reverts_with("PaymentsWrongValue", 0, 5):
        agreements.deposit(active_id, token, 100, {"from": customer, "value": 5})


@pytest.mark.parametrize("sent", [0, 99, 101])
def test_native_value_must_equal_the_amount(
    agreements: Any, propose: Any, activate: Any, customer: Any, sent: int
) -> None:
    agreement_id = propose(asset=NATIVE)
    activate(agreement_id)
    with reverts_with("PaymentsWrongValue", 100, sent):
        agreements.deposit(agreement_id, NATIVE, 100, {"from": customer, "value": sent})


def test_fee_on_transfer_token_is_refused_even_when_approved(
    agreements: Any,
    FeeOnTransferToken: Any,
    approve_asset: Any,
    propose: Any,
    activate: Any,
    customer: Any,
) -> None:
    leaky = FeeOnTransferToken.deploy({"from": customer})
    approve_asset(leaky)  # the members were misled: the deposit's own check still refuses it
    leaky.mint(customer, 10**6, {"from": customer})
    leaky.approve(agreements, 10**6, {"from": customer})
    agreement_id = propose(asset=leaky)
    activate(agreement_id)
    with reverts_with("PaymentsTransferMismatch", 10_000, 9_900):
        agreements.deposit(agreement_id, leaky, 10_000, {"from": customer})
    assert leaky.balanceOf(agreements) == 0


def test_deposit_without_allowance_reverts_and_credits_nothing(
    agreements: Any, token: Any, active_id: int, members: list[Any]
) -> None:
    with reverts_with("ERC20InsufficientAllowance", agreements.address, 0, 100):
        agreements.deposit(active_id, token, 100, {"from": members[6]})
    assert agreements.agreement(active_id)["totalCredited"] == 0


def test_proposed_agreement_refuses_deposits(
    agreements: Any, token: Any, propose: Any, customer: Any
) -> None:
    agreement_id = propose()
    with reverts_with("AgreementWrongStatus", agreement_id, 1):
        agreements.deposit(agreement_id, token, 100, {"from": customer})


def test_unknown_agreement_refuses_deposits(agreements: Any, token: Any, customer: Any) -> None:
    with reverts_with("AgreementWrongStatus", 42, 0):
        agreements.deposit(42, token, 100, {"from": customer})


def test_deposit_before_the_start_time_reverts(
    agreements: Any, token: Any, propose: Any, activate: Any, customer: Any, chain: Any
) -> None:
    start = now() + 10_000
    agreement_id = propose(start=start, end=start + 10_000)
    activate(agreement_id)
    with reverts_with("AgreementNotStarted", agreement_id, start):
        agreements.deposit(agreement_id, token, 100, {"from": customer})
    chain.sleep(10_001)
    agreements.deposit(agreement_id, token, 100, {"from": customer})
    assert agreements.agreement(agreement_id)["totalCredited"] == 100


def test_deposit_after_the_end_time_reverts_and_reports_expired(
    agreements: Any, token: Any, propose: Any, activate: Any, customer: Any, chain: Any
) -> None:
    end = now() + 1_000
    agreement_id = propose(end=end)
    activate(agreement_id)
    chain.sleep(1_001)
    chain.mine()
    assert agreements.statusOf(agreement_id) == 5  # Expired
    with reverts_with("AgreementExpired", agreement_id, end):
        agreements.deposit(agreement_id, token, 100, {"from": customer})


def test_a_token_that_reenters_during_a_deposit_makes_it_revert_whole(
    agreements: Any,
    HookToken: Any,
    approve_asset: Any,
    propose: Any,
    activate: Any,
    customer: Any,
) -> None:
    """The deposit is booked before the token is asked for it; a token that deposits again from inside its
    transferFrom delivers more than the outer deposit asked for, so the outer deposit (and the inner one with
    it) reverts and nothing is credited."""
    hooked = HookToken.deploy({"from": customer})
    approve_asset(hooked)
    agreement_id = propose(asset=hooked)
    activate(agreement_id)
    hooked.mint(customer, 1_000, {"from": customer})
    hooked.approve(agreements, 1_000, {"from": customer})
    hooked.mint(hooked, 500, {"from": customer})
    hooked.approveOwnTokens(agreements, {"from": customer})
    reenter = agreements.deposit.encode_input(agreement_id, hooked, 500)
    hooked.setHook(agreements, reenter, {"from": customer})

    with reverts_with("PaymentsTransferMismatch", 1_000, 1_500):
        agreements.deposit(agreement_id, hooked, 1_000, {"from": customer})
    assert agreements.agreement(agreement_id)["totalCredited"] == 0
    assert hooked.balanceOf(agreements) == 0

    hooked.setHook(agreements, b"", {"from": customer})
    agreements.deposit(agreement_id, hooked, 1_000, {"from": customer})
    assert agreements.agreement(agreement_id)["totalCredited"] == 1_000
