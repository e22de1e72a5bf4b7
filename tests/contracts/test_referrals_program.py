"""ReferralRewards: creating, funding and closing programs, and every rule a program must satisfy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import (
    NATIVE,
    PROGRAM_BUDGET,
    REWARD_BPS,
    REWARD_CAP,
    REWARD_FIXED,
    now,
    program_terms,
    reverts_with,
)


def test_program_is_created_funded_and_described(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, token: Any
) -> None:
    expiry = now() + 1_000
    before = token.balanceOf(sponsor)
    program_id = create_program(expiry=expiry, per_referrer=7 * 10**18)
    assert program_id == 1 == referrals.programCount()
    view = referrals.program(program_id)
    assert (view["sponsor"], view["asset"], view["expiry"], view["closed"]) == (sponsor, token, expiry, False)
    assert (view["fixedReward"], view["rewardBps"], view["cap"], view["perReferrerCap"]) == (
        REWARD_FIXED,
        REWARD_BPS,
        REWARD_CAP,
        7 * 10**18,
    )
    assert (view["budget"], view["voucherNonce"]) == (PROGRAM_BUDGET, 0)
    assert before - token.balanceOf(sponsor) == PROGRAM_BUDGET == token.balanceOf(referrals)


def test_creation_emits_created_and_funded(referrals: Any, sponsor_funds: Any, sponsor: Any) -> None:
    tx = referrals.createProgram(program_terms(sponsor_funds, now() + 1_000), 5 * 10**18, {"from": sponsor})
    created = tx.events["ProgramCreated"]
    assert (created["programId"], created["sponsor"], created["asset"], created["cap"]) == (
        1,
        sponsor,
        sponsor_funds,
        REWARD_CAP,
    )
    funded = tx.events["ProgramFunded"]
    assert (funded["programId"], funded["sponsor"], funded["amount"]) == (1, sponsor, 5 * 10**18)


def test_native_program(referrals: Any, create_program: Callable[..., int]) -> None:
    program_id = create_program(asset=NATIVE, budget=10**18)
    assert referrals.program(program_id)["budget"] == 10**18
    assert referrals.balance() == 10**18


def test_sponsor_tops_up(referrals: Any, program_id: int, sponsor: Any) -> None:
    tx = referrals.fund(program_id, 10**18, {"from": sponsor})
    assert tx.events["ProgramFunded"]["amount"] == 10**18
    assert referrals.program(program_id)["budget"] == PROGRAM_BUDGET + 10**18


def test_non_member_cannot_sponsor(referrals: Any, token: Any, outsider: Any) -> None:
    with reverts_with("ReferralNotActiveMember", outsider.address):
        referrals.createProgram(program_terms(token, now() + 1_000), 1, {"from": outsider})


@pytest.mark.parametrize(
    "rule",
    [
        {"cap": 0},
        {"cap": 2**88},
        {"bps": 10_001},
        {"fixed": 0, "bps": 0},
        {"fixed": REWARD_CAP + 1},
    ],
)
def test_invalid_reward_rule_reverts(create_program: Callable[..., int], rule: dict[str, int]) -> None:
    with reverts_with("ReferralInvalidRule"):
        create_program(**rule)


def test_expiry_must_be_in_the_future(create_program: Callable[..., int]) -> None:
    past = now() - 1
    with reverts_with("ReferralInvalidExpiry", past):
        create_program(expiry=past)


def test_asset_must_be_approved_by_the_consortium(
    create_program: Callable[..., int], accounts: Any, MockERC20: Any, sponsor: Any
) -> None:
    with reverts_with("ReferralAssetNotApproved", accounts[4].address):
        create_program(asset=accounts[4])
    unvetted = MockERC20.deploy("Unvetted", "UNV", {"from": sponsor})
    with reverts_with("ReferralAssetNotApproved", unvetted.address):
        create_program(asset=unvetted)


def test_zero_budget_reverts(create_program: Callable[..., int]) -> None:
    with reverts_with("ReferralZeroAmount"):
        create_program(budget=0)


def test_native_budget_must_match_the_value_sent(referrals: Any, sponsor: Any) -> None:
    with reverts_with("PaymentsWrongValue", 100, 99):
        referrals.createProgram(program_terms(NATIVE, now() + 1_000), 100, {"from": sponsor, "value": 99})


def test_native_value_with_an_erc20_budget_reverts(referrals: Any, sponsor_funds: Any, sponsor: Any) -> None:
    with reverts_with("PaymentsWrongValue", 0, 1):
        referrals.createProgram(
            program_terms(sponsor_funds, now() + 1_000), 100, {"from": sponsor, "value": 1}
        )


def test_fee_on_transfer_budget_is_refused_even_when_approved(
    referrals: Any,
    FeeOnTransferToken: Any,
    approve_asset: Any,
    create_program: Callable[..., int],
    sponsor: Any,
) -> None:
    leaky = FeeOnTransferToken.deploy({"from": sponsor})
    approve_asset(leaky)
    leaky.mint(sponsor, 10**6, {"from": sponsor})
    leaky.approve(referrals, 10**6, {"from": sponsor})
    with reverts_with("PaymentsTransferMismatch", 10_000, 9_900):
        create_program(asset=leaky, budget=10_000)


def test_only_the_sponsor_tops_up_or_closes(referrals: Any, program_id: int, referrer: Any) -> None:
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.fund(program_id, 1, {"from": referrer})
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.closeProgram(program_id, {"from": referrer})


def test_a_budget_that_would_pass_128_bits_is_refused(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, token: Any
) -> None:
    token.mint(sponsor, 2**128, {"from": sponsor})
    program_id = create_program(budget=2**128 - 2)
    with reverts_with("ReferralBudgetOverflow", program_id, 2**128 - 2, 2):
        referrals.fund(program_id, 2, {"from": sponsor})
    referrals.fund(program_id, 1, {"from": sponsor})
    assert referrals.program(program_id)["budget"] == 2**128 - 1 == token.balanceOf(referrals)


def test_anybody_closes_the_program_of_a_sponsor_who_left(
    referrals: Any, coop: Any, program_id: int, sponsor: Any, referrer: Any
) -> None:
    """Audit finding 4: a departed sponsor's program kept running. Now it takes nothing new, anybody may close
    it, and the sponsor (no longer a member) can still take its unreserved budget back."""
    coop.exit({"from": sponsor})
    with reverts_with("ReferralSponsorInactive", program_id, sponsor.address):
        referrals.fund(program_id, 1, {"from": sponsor})
    tx = referrals.closeProgram(program_id, {"from": referrer})
    event = tx.events["ProgramClosed"]
    assert (event["programId"], event["sponsor"], event["by"]) == (program_id, sponsor, referrer)
    assert referrals.reclaimBudget(program_id, {"from": sponsor}).return_value == PROGRAM_BUDGET


def test_zero_top_up_reverts(referrals: Any, program_id: int, sponsor: Any) -> None:
    with reverts_with("ReferralZeroAmount"):
        referrals.fund(program_id, 0, {"from": sponsor})


def test_no_top_up_after_expiry(
    referrals: Any, create_program: Callable[..., int], sponsor: Any, chain: Any
) -> None:
    expiry = now() + 100
    program_id = create_program(expiry=expiry)
    chain.sleep(101)
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.fund(program_id, 1, {"from": sponsor})


def test_closing_stops_the_program(referrals: Any, program_id: int, sponsor: Any, referrer: Any) -> None:
    tx = referrals.closeProgram(program_id, {"from": sponsor})
    event = tx.events["ProgramClosed"]
    assert (event["programId"], event["sponsor"], event["by"]) == (program_id, sponsor, sponsor)
    expiry = referrals.program(program_id)["expiry"]
    assert referrals.program(program_id)["closed"] is True
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.closeProgram(program_id, {"from": sponsor})
    with reverts_with("ReferralProgramExpired", program_id, expiry):
        referrals.fund(program_id, 1, {"from": sponsor})


@pytest.mark.parametrize("unknown", [0, 9])
def test_unknown_program_reverts(referrals: Any, sponsor: Any, unknown: int) -> None:
    with reverts_with("ReferralUnknownProgram", unknown):
        referrals.program(unknown)
    with reverts_with("ReferralUnknownProgram", unknown):
        referrals.fund(unknown, 1, {"from": sponsor})


def test_the_sponsor_states_its_acquisition_cost_and_may_change_it(
    referrals: Any, program_id: int, sponsor: Any
) -> None:
    assert referrals.acquisitionCost(program_id) == 0, "not stated"
    for cost in (40 * 10**18, 35 * 10**18):
        tx = referrals.setAcquisitionCost(program_id, cost, {"from": sponsor})
        event = tx.events["AcquisitionCostSet"]
        assert (event["programId"], event["sponsor"], event["cost"]) == (program_id, sponsor, cost)
        assert referrals.acquisitionCost(program_id) == cost, "the newest counts"
    referrals.closeProgram(program_id, {"from": sponsor})
    referrals.setAcquisitionCost(program_id, 30 * 10**18, {"from": sponsor})  # a closed program's history
    assert referrals.acquisitionCost(program_id) == 30 * 10**18


def test_only_the_sponsor_states_the_acquisition_cost(referrals: Any, program_id: int, referrer: Any) -> None:
    with reverts_with("ReferralNotSponsor", program_id, referrer.address):
        referrals.setAcquisitionCost(program_id, 1, {"from": referrer})
    assert referrals.acquisitionCost(program_id) == 0


@pytest.mark.parametrize("unknown", [0, 9])
def test_an_unknown_programs_acquisition_cost_reverts(referrals: Any, sponsor: Any, unknown: int) -> None:
    with reverts_with("ReferralUnknownProgram", unknown):
        referrals.setAcquisitionCost(unknown, 1, {"from": sponsor})
    with reverts_with("ReferralUnknownProgram", unknown):
        referrals.acquisitionCost(unknown)
