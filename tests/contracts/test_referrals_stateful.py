"""Stateful: random fund / refer / copy / confirm / redeem / claim / expire / reclaim sequences keep the money
exact and pay each reward to the referrer it names.

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
    # (referrer, commitment) -> [status, reward]
    referrals: dict[tuple[str, bytes], list[int]] = field(default_factory=dict)


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

    def _record(self, program_id: int, model: ProgramModel, recorder: Any, commitment: bytes) -> None:
        key = (recorder.address, commitment)
        if not self._open(model) or key in model.referrals:
            with brownie.reverts():
                self.referrals.recordReferral(program_id, commitment, {"from": recorder})
            return
        self.referrals.recordReferral(program_id, commitment, {"from": recorder})
        model.referrals[key] = [RECORDED, 0]

    def rule_refer(self, which: int, who: int, lead_no: int) -> None:
        program_id = self.ids[which]
        referrer = self.referrers[who]
        self._record(program_id, self.programs[program_id], referrer, lead(f"lead-{lead_no}", referrer))

    def rule_copy(self, which: int, who: int, lead_no: int) -> None:
        """Another referrer records the commitment ``who`` made: a record of its own, blocking nobody."""
        program_id = self.ids[which]
        honest = self.referrers[who]
        copier = self.referrers[(who + 1) % len(self.referrers)]
        self._record(program_id, self.programs[program_id], copier, lead(f"lead-{lead_no}", honest))

    def _recorded(
        self, which: int, who: int, lead_no: int
    ) -> tuple[int, ProgramModel, Any, bytes, list[int]] | None:
        """Program ``which`` and ``who``'s referral of lead ``lead_no``; None if it never recorded it."""
        program_id = self.ids[which]
        model = self.programs[program_id]
        referrer = self.referrers[who]
        commitment = lead(f"lead-{lead_no}", referrer)
        entry = model.referrals.get((referrer.address, commitment))
        return None if entry is None else (program_id, model, referrer, commitment, entry)

    def rule_confirm(self, which: int, who: int, lead_no: int, value: int) -> None:
        found = self._recorded(which, who, lead_no)
        if found is None:
            return
        program_id, model, referrer, commitment, entry = found
        reward = reward_for(value)
        confirm = self.referrals.confirmConversion
        if not self._open(model) or entry[0] != RECORDED or reward > model.budget:
            with brownie.reverts():
                confirm(program_id, referrer, commitment, value, {"from": self.sponsor})
            return
        confirm(program_id, referrer, commitment, value, {"from": self.sponsor})
        model.budget -= reward
        entry[:] = [CONFIRMED, reward]

    def rule_redeem(self, which: int, who: int, lead_no: int, value: int) -> None:
        """The voucher is submitted by another referrer: it still pays the one it names."""
        found = self._recorded(which, who, lead_no)
        if found is None:
            return
        program_id, model, referrer, commitment, entry = found
        reward = reward_for(value)
        voucher = (program_id, referrer.address, commitment, value, reward, now() + 3_600, 0)
        typed = conversion_voucher(web3.eth.chain_id, deployment_of(self.referrals), *voucher)
        signature = split_signature(sign_typed_data(self.sponsor_key, typed))
        relayer = self.referrers[(who + 1) % len(self.referrers)]
        if not self._open(model) or entry[0] != RECORDED or reward > model.budget:
            with brownie.reverts():
                self.referrals.redeemVoucher(voucher, *signature, {"from": relayer})
            return
        before = self.token.balanceOf(referrer)
        self.referrals.redeemVoucher(voucher, *signature, {"from": relayer})
        assert self.token.balanceOf(referrer) - before == reward, "paid to the referrer the voucher names"
        model.budget -= reward
        entry[:] = [CLAIMED, reward]
        self.paid += reward

    def rule_claim(self, which: int, who: int, lead_no: int) -> None:
        found = self._recorded(which, who, lead_no)
        if found is None:
            return
        program_id, _, referrer, commitment, entry = found
        if entry[0] != CONFIRMED:
            with brownie.reverts():
                self.referrals.claimReward(program_id, commitment, {"from": referrer})
            return
        self.referrals.claimReward(program_id, commitment, {"from": referrer})
        entry[0] = CLAIMED
        self.paid += entry[1]

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
            for (referrer, commitment), (status, reward) in model.referrals.items():
                on_chain = self.referrals.referral(program_id, referrer, commitment)
                assert (on_chain[0], on_chain[1]) == (status, reward)
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
