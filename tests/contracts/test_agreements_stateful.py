"""Stateful: random deposit / withdraw / dispute / resolve / release / amend / terminate sequences, with time
passing, keep the books exact.

After every step: the contract's token balance equals the unwithdrawn credits plus the held deposits plus the
rounding dust assigned to nobody yet (fewer units than parties); no party has withdrawn more than it was
credited; each party's credit equals an independent model of the split (its share of the share period's
running total, rounded down once; the dust carried into the next period when an amendment takes effect); and
an agreement that is not in force refuses deposits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import brownie
import pytest
from brownie.test import strategy

from conftest import YEAR, now, proposal, state_machine

pytestmark = pytest.mark.slow

BPS = 10_000
_DAY = 24 * 3600
_CLOSE = 30  # seconds: a boundary this close to the chain's time is skipped, not guessed
SHARE_PLANS = [[5_000, 3_000, 2_000], [2_000, 2_000, 6_000], [3_334, 3_333, 3_333], [9_998, 1, 1]]


@dataclass
class Model:
    """What the contract should hold for one agreement, computed independently."""

    parties: list[Any]
    shares: list[int]
    status: str = "active"
    settled: list[int] = field(default_factory=list)  # what earlier share periods earned
    period: int = 0  # what the share period in force credited
    withdrawn: list[int] = field(default_factory=list)
    held: int = 0
    consents: set[int] = field(default_factory=set)
    votes: set[int] = field(default_factory=set)
    raiser: int = -1
    raised_at: int = 0
    ended_at: int = 0  # when the last dispute ended (0: none yet)

    def end_dispute(self, timestamp: int) -> None:
        self.status = "active"
        self.credit(self.held)
        self.held = 0
        self.ended_at = timestamp

    def credit(self, amount: int) -> None:
        self.period += amount

    @property
    def credited(self) -> list[int]:
        return [
            settled + self.period * share // BPS
            for settled, share in zip(self.settled, self.shares, strict=True)
        ]

    @property
    def dust(self) -> int:
        return self.period - sum(self.period * share // BPS for share in self.shares)

    def reshare(self, shares: list[int]) -> None:
        carried = self.dust
        self.settled = self.credited
        self.period = carried
        self.shares = list(shares)


class AgreementBooks:
    """Brownie state machine over two agreements of three parties in cUSD."""

    amount = strategy("uint256", min_value=1, max_value=10**24)
    index = strategy("uint8", max_value=2)
    plan = strategy("uint8", max_value=len(SHARE_PLANS) - 1)
    which = strategy("uint8", max_value=1)
    days = strategy("uint8", min_value=1, max_value=40)

    def __init__(cls, agreements: Any, token: Any, members: list[Any], customer: Any) -> None:  # noqa: N805
        cls.agreements = agreements
        cls.token = token
        cls.members = members
        cls.customer = customer
        cls.window = int(agreements.DISPUTE_WINDOW())
        cls.cooldown = int(agreements.DISPUTE_COOLDOWN())

    def setup(self) -> None:
        self.models: dict[int, Model] = {}
        for parties in (self.members[:3], self.members[3:6]):
            current = now()
            tx = self.agreements.propose(
                proposal(parties, SHARE_PLANS[0], self.token, current, current + 10 * YEAR),
                {"from": parties[0]},
            )
            agreement_id = int(tx.return_value)
            for party in parties[1:]:
                self.agreements.sign(agreement_id, 1, {"from": party})
            self.models[agreement_id] = Model(
                parties=list(parties), shares=list(SHARE_PLANS[0]), settled=[0] * 3, withdrawn=[0] * 3
            )
        self.ids = sorted(self.models)

    def _pick(self, which: int) -> tuple[int, Model]:
        agreement_id = self.ids[which]
        return agreement_id, self.models[agreement_id]

    def rule_deposit(self, which: int, amount: int) -> None:
        agreement_id, model = self._pick(which)
        if model.status == "terminated":
            with brownie.reverts():
                self.agreements.deposit(agreement_id, self.token, amount, {"from": self.customer})
            return
        self.agreements.deposit(agreement_id, self.token, amount, {"from": self.customer})
        if model.status == "disputed":
            model.held += amount
        else:
            model.credit(amount)

    def rule_withdraw(self, which: int, index: int) -> None:
        agreement_id, model = self._pick(which)
        due = model.credited[index] - model.withdrawn[index]
        party = model.parties[index]
        if due == 0:
            with brownie.reverts():
                self.agreements.withdraw(agreement_id, {"from": party})
            return
        before = self.token.balanceOf(party)
        self.agreements.withdraw(agreement_id, {"from": party})
        assert self.token.balanceOf(party) - before == due
        model.withdrawn[index] += due

    def rule_dispute(self, which: int, index: int) -> None:
        agreement_id, model = self._pick(which)
        available = model.ended_at + self.cooldown if model.ended_at else 0
        if model.status == "active" and abs(now() - available) <= _CLOSE:
            return  # too close to the end of the cooldown to tell which block time the call will get
        if model.status != "active" or now() < available:
            with brownie.reverts():
                self.agreements.raiseDispute(agreement_id, b"\x01" * 32, {"from": model.parties[index]})
            return
        tx = self.agreements.raiseDispute(agreement_id, b"\x01" * 32, {"from": model.parties[index]})
        model.status = "disputed"
        model.votes = set()
        model.raiser, model.raised_at = index, tx.timestamp

    def rule_resolve(self, which: int, index: int) -> None:
        agreement_id, model = self._pick(which)
        if model.status != "disputed" or index in model.votes:
            with brownie.reverts():
                self.agreements.voteToResolve(agreement_id, {"from": model.parties[index]})
            return
        tx = self.agreements.voteToResolve(agreement_id, {"from": model.parties[index]})
        model.votes.add(index)
        others = len(model.votes - {model.raiser})
        if model.raiser in model.votes or others * 2 > len(model.parties) - 1:
            model.end_dispute(tx.timestamp)

    def rule_release(self, which: int) -> None:
        agreement_id, model = self._pick(which)
        releasable = model.raised_at + self.window
        if model.status == "disputed" and abs(now() - releasable) <= _CLOSE:
            return  # too close to the end of the window to tell
        if model.status != "disputed" or now() < releasable:
            with brownie.reverts():
                self.agreements.releaseDispute(agreement_id, {"from": self.customer})
            return
        tx = self.agreements.releaseDispute(agreement_id, {"from": self.customer})
        model.end_dispute(tx.timestamp)

    def rule_wait(self, days: int) -> None:
        brownie.chain.sleep(days * _DAY)
        brownie.chain.mine()

    def rule_amend(self, which: int, index: int, plan: int) -> None:
        agreement_id, model = self._pick(which)
        shares = SHARE_PLANS[plan]
        proposer = model.parties[index]
        args = (agreement_id, b"\x02" * 32, "", shares, now() + 10 * YEAR, {"from": proposer})
        if model.status == "terminated":
            with brownie.reverts():
                self.agreements.proposeAmendment(*args)
            return
        version = self.agreements.proposeAmendment(*args).return_value
        for party in model.parties:
            if party != proposer:
                self.agreements.sign(agreement_id, version, {"from": party})
        model.reshare(shares)

    def rule_terminate(self, which: int, index: int) -> None:
        agreement_id, model = self._pick(which)
        if model.status == "terminated" or index in model.consents:
            with brownie.reverts():
                self.agreements.consentToTerminate(agreement_id, {"from": model.parties[index]})
            return
        self.agreements.consentToTerminate(agreement_id, {"from": model.parties[index]})
        model.consents.add(index)
        if len(model.consents) == len(model.parties):
            model.end_dispute(0)
            model.status = "terminated"

    def invariant_books(self) -> None:
        """Balance = unwithdrawn credits + held + dust; withdrawn <= credited; credits equal the model's."""
        owed = 0
        for agreement_id, model in self.models.items():
            dust = self.agreements.unassigned(agreement_id)
            assert dust == model.dust < len(model.parties)
            owed += dust
            for index, party in enumerate(model.parties):
                credited = self.agreements.creditedTo(agreement_id, party)
                withdrawn = self.agreements.withdrawnBy(agreement_id, party)
                assert withdrawn <= credited
                assert (credited, withdrawn) == (model.credited[index], model.withdrawn[index])
                owed += credited - withdrawn
            assert self.agreements.agreement(agreement_id)["held"] == model.held
        held = sum(model.held for model in self.models.values())
        assert self.token.balanceOf(self.agreements) == owed + held


def test_books_stay_exact(agreements: Any, token: Any, members: list[Any], customer: Any) -> None:
    state_machine(
        AgreementBooks,
        agreements,
        token,
        members,
        customer,
        settings={"max_examples": 15, "stateful_step_count": 12},
    )
