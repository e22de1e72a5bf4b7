"""Property: the reward is min(fixed + value x bps / 10 000, cap), exactly, and never more than the budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from brownie.test import given, strategy

from conftest import lead, reverts_with

pytestmark = pytest.mark.slow


@given(  # type: ignore[untyped-decorator]  # brownie is untyped
    fixed=strategy("uint96", max_value=10**22),
    bps=strategy("uint16", max_value=10_000),
    cap=strategy("uint88", min_value=1),
    value=strategy("uint256"),
    budget=strategy("uint128", min_value=1, max_value=10**24),
)
def test_reward_follows_the_rule_and_the_budget(
    referrals: Any,
    create_program: Callable[..., int],
    sponsor: Any,
    referrer: Any,
    fixed: int,
    bps: int,
    cap: int,
    value: int,
    budget: int,
) -> None:
    if fixed == 0 and bps == 0:
        bps = 1  # a rule must be able to pay something
    fixed = min(fixed, cap)  # a fixed part above the cap is refused (test_invalid_reward_rule_reverts)
    program_id = create_program(budget=budget, fixed=fixed, bps=bps, cap=cap)
    expected = min(fixed + value * bps // 10_000, cap)
    assert referrals.rewardFor(program_id, value) == expected

    commitment = lead("lead", referrer)
    referrals.recordReferral(program_id, commitment, {"from": referrer})
    if expected > budget:
        with reverts_with("ReferralBudgetExceeded", program_id, expected, budget):
            referrals.confirmConversion(program_id, referrer, commitment, value, {"from": sponsor})
        assert referrals.program(program_id)["budget"] == budget
        return
    reward = referrals.confirmConversion(
        program_id, referrer, commitment, value, {"from": sponsor}
    ).return_value
    assert reward == expected
    assert referrals.program(program_id)["budget"] == budget - expected
    assert referrals.referral(program_id, referrer, commitment)[1] == expected
