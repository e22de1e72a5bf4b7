"""Stateful: random propose / approve / exit / time-passing sequences keep the Consortium's governance rules.

An independent model decides, before every call, whether it must succeed or revert: only members active when a
proposal was made approve it (and only while active), a proposal whose subject's status moved since is stale,
a proposal past its deadline is closed, and one takes effect with the approval that reaches a strict majority
of its electorate. After every step the contract's statuses and active count equal the model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import brownie
import pytest
from brownie.test import strategy

from conftest import VOTING_PERIOD, now, state_machine

pytestmark = pytest.mark.slow

SUSPENSION, REINSTATEMENT = 1, 2
ACTIVE, SUSPENDED, EXITED = 1, 2, 3


@dataclass
class ProposalModel:
    kind: int
    subject: int
    electorate: set[int]
    subject_changes: int
    deadline: int
    approvals: set[int] = field(default_factory=set)
    executed: bool = False


class Governance:
    """Brownie state machine over the nine founders of a consortium with a strict-majority quorum."""

    who = strategy("uint8", max_value=8)
    which = strategy("uint8", max_value=7)
    days = strategy("uint8", min_value=1, max_value=4)

    def __init__(cls, consortium: Any, members: list[Any]) -> None:  # noqa: N805
        cls.consortium = consortium
        cls.members = members
        cls.quorum_bps = int(consortium.quorumBps())

    def setup(self) -> None:
        self.status = dict.fromkeys(range(len(self.members)), ACTIVE)
        self.changes = dict.fromkeys(range(len(self.members)), 1)
        self.active_since = dict.fromkeys(range(len(self.members)), 1)  # proposals from this id on
        self.proposals: dict[int, ProposalModel] = {}

    def _active(self) -> set[int]:
        return {index for index, status in self.status.items() if status == ACTIVE}

    def _propose(self, kind: int, proposer: int, subject: int) -> None:
        needed = ACTIVE if kind == SUSPENSION else SUSPENDED
        consortium = self.consortium
        call = consortium.proposeSuspension if kind == SUSPENSION else consortium.proposeReinstatement
        sender = {"from": self.members[proposer]}
        if self.status[proposer] != ACTIVE or self.status[subject] != needed:
            with brownie.reverts():
                call(self.members[subject], sender)
            return
        proposal_id = int(call(self.members[subject], sender).return_value)
        self.proposals[proposal_id] = ProposalModel(
            kind, subject, self._active(), self.changes[subject], now() + VOTING_PERIOD
        )

    # Subjects are the last three members, so that proposals on one subject overlap (stale ones), and the
    # reinstated vote again on what was proposed while they were away (outside the electorate).
    def rule_propose_suspension(self, who: int, which: int) -> None:
        self._propose(SUSPENSION, who, len(self.members) - 1 - which % 3)

    def rule_propose_reinstatement(self, who: int, which: int) -> None:
        self._propose(REINSTATEMENT, who, len(self.members) - 1 - which % 3)

    def _pick(self, which: int) -> int | None:
        """One of the proposals made, the newest ones likelier (``which`` counts back from the newest)."""
        if not self.proposals:
            return None
        ids = sorted(self.proposals)
        return ids[-1 - which % len(ids)]

    def _allowed(self, who: int, proposal_id: int) -> bool:
        model = self.proposals[proposal_id]
        return (
            self.status[who] == ACTIVE
            and not model.executed
            and now() + 1 <= model.deadline  # the next block is at least a second later
            and who in model.electorate
            and self.active_since[who] <= proposal_id  # not reinstated since the proposal was made
            and self.changes[model.subject] == model.subject_changes
            and who not in model.approvals
        )

    def rule_pass(self, which: int) -> None:
        """The members who may approve a proposal do, in turn, until it takes effect (or they run out)."""
        proposal_id = self._pick(which)
        if proposal_id is None:
            return
        for who in range(len(self.members)):
            if self.proposals[proposal_id].executed:
                return
            if self._allowed(who, proposal_id):
                self._approve(who, proposal_id)

    def rule_approve(self, who: int, which: int) -> None:
        proposal_id = self._pick(which)
        if proposal_id is not None:
            self._approve(who, proposal_id)

    def _approve(self, who: int, proposal_id: int) -> None:
        model = self.proposals[proposal_id]
        voter = {"from": self.members[who]}
        allowed = self._allowed(who, proposal_id)
        if not allowed:
            if model.deadline - 5 <= now() + 1 <= model.deadline + 5:
                return  # too close to the deadline to tell which block decides
            with brownie.reverts():
                self.consortium.approve(proposal_id, voter)
            return
        tx = self.consortium.approve(proposal_id, voter)
        model.approvals.add(who)
        needed = -(-len(model.electorate) * self.quorum_bps // 10_000)
        assert needed * 2 > len(model.electorate), "a strict majority at least"
        if len(model.approvals) >= needed:
            model.executed = True
            self.status[model.subject] = SUSPENDED if model.kind == SUSPENSION else ACTIVE
            self.changes[model.subject] += 1
            if model.kind == REINSTATEMENT:
                self.active_since[model.subject] = len(self.proposals) + 1
            assert "ProposalExecuted" in tx.events
        else:
            assert "ProposalExecuted" not in tx.events

    def rule_exit(self, which: int) -> None:
        """One of the subjects leaves (active or suspended): proposals about it go stale."""
        who = len(self.members) - 1 - which % 3
        if self.status[who] == EXITED:
            with brownie.reverts():
                self.consortium.exit({"from": self.members[who]})
            return
        self.consortium.exit({"from": self.members[who]})
        self.status[who] = EXITED
        self.changes[who] += 1

    def rule_wait(self, days: int) -> None:
        brownie.chain.sleep(days * 24 * 3600)
        brownie.chain.mine()

    def invariant_statuses(self) -> None:
        for index, member in enumerate(self.members):
            assert int(self.consortium.member(member)[4]) == self.status[index]
        assert self.consortium.activeMemberCount() == len(self._active())


def test_governance_follows_the_rules(coop: Any, members: list[Any]) -> None:
    state_machine(Governance, coop, members, settings={"max_examples": 15, "stateful_step_count": 40})
