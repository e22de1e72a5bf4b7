"""Stateful: random fund / refer / confirm / redeem / claim / expire / reclaim sequences keep the money exact.

After every step: the contract's token balance equals the unreserved budgets plus the confirmed rewards not
yet claimed, summed over programs; the total paid out never exceeds the total funded; and each program's
budget and each referral's status equal an independent model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import brownie
import pytest
from brownie import web3
from brownie.test import strategy

from conftest import CLAIMED, CONFIRMED, RECORDED, deployment_of, lead, now, program_terms, state_machine
from ledger.protocol.eip712 import conversion_voucher, sign_typed_data, split_signature

pytestmark = pytest.mark.slow

FIXED, BPS, CAP = 10**18, 500, 5 * 10**18


def reward_for(value: int) -> int:
    return min(FIXED + value * BPS // 10_000, CAP)


@dataclass
class ProgramModel:
    budget: int
    expiry: int
    referrals: dict[bytes, list[Any]] = field(
        default_factory=dict
    )  # commitment -> [referrer, status, reward]


class ReferralBooks:
    """Brownie state machine over two cUSD programs of one sponsor and three referrers."""

    amount = strategy("uint256", min_value=1, max_value=20 * 10**18)
    value = strategy("uint256", max_value=200 * 10**18)
    which = strategy("uint8", max_value=1)
    who = strategy("uint8", max_value=2)
    lead_no = strategy("uint8", max_value=5)

    def __init__(
        cls,  # noqa: N805 (Brownie calls __init__ on the class, not an instance)
        referrals: Any,
        token: Any,
        sponsor: Any,
        sponsor_key: str,
        referrers: list[Any],
    ) -> None:
        cls.referrals = referrals
        cls.token = token
        cls.sponsor = sponsor
        cls.sponsor_key = sponsor_key
        cls.referrers = referrers

    def setup(self) -> None:
        self.programs: dict[int, ProgramModel] = {}
        self.funded = 0
        self.paid = 0
        self.chain_offset = 0
        for budget in (10 * 10**18, 4 * 10**18):
            expiry = now() + 10_000
            tx = self.referrals.createProgram(
                program_terms(self.token, expiry), budget, {"from": self.sponsor}
            )
            self.programs[int(tx.return_value)] = ProgramModel(budget=budget, expiry=expiry)
            self.funded += budget
        self.ids = sorted(self.programs)

    def _open(self, model: ProgramModel) -> bool:
        return now() + 1 < model.expiry  # the next block is at least a second later

    def rule_fund(self, which: int, amount: int) -> None:
        program_id = self.ids[which]
        model = self.programs[program_id]
        if not self._open(model):
            return
        self.referrals.fund(program_id, amount, {"from": self.sponsor})
        model.budget += amount
        self.funded += amount

    def rule_refer(self, which: int, who: int, lead_no: int) -> None:
        program_id = self.ids[which]
        model = self.programs[program_id]
        commitment = lead(f"lead-{lead_no}")
        referrer = self.referrers[who]
        if not self._open(model) or commitment in model.referrals:
            with brownie.reverts():
                self.referrals.recordReferral(program_id, commitment, {"from": referrer})
            return
        self.referrals.recordReferral(program_id, commitment, {"from": referrer})
        model.referrals[commitment] = [referrer, RECORDED, 0]

    def _recorded(self, which: int, lead_no: int) -> tuple[int, ProgramModel, bytes, list[Any]] | None:
        """Program ``which`` and its referral of lead ``lead_no``; None if that lead was never referred."""
        program_id = self.ids[which]
        model = self.programs[program_id]
        commitment = lead(f"lead-{lead_no}")
        entry = model.referrals.get(commitment)
        return None if entry is None else (program_id, model, commitment, entry)

    def rule_confirm(self, which: int, lead_no: int, value: int) -> None:
        found = self._recorded(which, lead_no)
        if found is None:
            return
        program_id, model, commitment, entry = found
        reward = reward_for(value)
        if not self._open(model) or entry[1] != RECORDED or reward > model.budget:
            with brownie.reverts():
                self.referrals.confirmConversion(program_id, commitment, value, {"from": self.sponsor})
            return
        self.referrals.confirmConversion(program_id, commitment, value, {"from": self.sponsor})
        model.budget -= reward
        entry[1:] = [CONFIRMED, reward]

    def rule_redeem(self, which: int, lead_no: int, value: int) -> None:
        found = self._recorded(which, lead_no)
        if found is None:
            return
        program_id, model, commitment, entry = found
        reward = reward_for(value)
        voucher = (program_id, commitment, value, reward, now() + 3_600, 0)
        typed = conversion_voucher(web3.eth.chain_id, deployment_of(self.referrals), *voucher)
        signature = split_signature(sign_typed_data(self.sponsor_key, typed))
        if not self._open(model) or entry[1] != RECORDED or reward > model.budget:
            with brownie.reverts():
                self.referrals.redeemVoucher(voucher, *signature, {"from": entry[0]})
            return
        self.referrals.redeemVoucher(voucher, *signature, {"from": entry[0]})
        model.budget -= reward
        entry[1:] = [CLAIMED, reward]
        self.paid += reward

    def rule_claim(self, which: int, lead_no: int) -> None:
        found = self._recorded(which, lead_no)
        if found is None:
            return
        program_id, _, commitment, entry = found
        if entry[1] != CONFIRMED:
            with brownie.reverts():
                self.referrals.claimReward(program_id, commitment, {"from": entry[0]})
            return
        self.referrals.claimReward(program_id, commitment, {"from": entry[0]})
        entry[1] = CLAIMED
        self.paid += entry[2]

    def rule_expire(self) -> None:
        brownie.chain.sleep(5_000)
        brownie.chain.mine()  # so that the latest block, which `now()` reads, carries the new time

    def rule_reclaim(self, which: int) -> None:
        program_id = self.ids[which]
        model = self.programs[program_id]
        if self._open(model) or model.budget == 0:
            with brownie.reverts():
                self.referrals.reclaimBudget(program_id, {"from": self.sponsor})
            return
        self.referrals.reclaimBudget(program_id, {"from": self.sponsor})
        self.paid += model.budget
        model.budget = 0

    def invariant_books(self) -> None:
        """Balance = unreserved budgets + unclaimed confirmed rewards; paid <= funded; the model holds."""
        owed = 0
        for program_id, model in self.programs.items():
            assert self.referrals.program(program_id)["budget"] == model.budget
            owed += model.budget
            for commitment, (referrer, status, reward) in model.referrals.items():
                on_chain = self.referrals.referral(program_id, commitment)
                assert (on_chain[0], on_chain[1], on_chain[2]) == (referrer, status, reward)
                if status == CONFIRMED:
                    owed += reward
        assert self.token.balanceOf(self.referrals) == owed
        assert self.paid <= self.funded
        assert self.funded - self.paid == owed


def test_referral_books_stay_exact(
    referrals: Any, sponsor_funds: Any, sponsor: Any, sponsor_key: str, members: list[Any]
) -> None:
    state_machine(
        ReferralBooks,
        referrals,
        sponsor_funds,
        sponsor,
        sponsor_key,
        members[1:4],
        settings={"max_examples": 25, "stateful_step_count": 15},
    )
