"""A member's desk follows the chain: a version leaves a party's desk when it signs, a dispute when it votes,
a proposal when it approves; the lists are what the contracts would accept from that member."""

from __future__ import annotations

import pytest

from ledger.protocol.codes import encode_code
from tests.api.conftest import OwnChain

pytestmark = pytest.mark.chain  # each test starts its own anvil (own_chain)

YEAR = 365 * 24 * 3600


def test_signing_voting_and_approving_clear_the_desk(own_chain: OwnChain) -> None:
    deployment = own_chain.deployment
    accounts, token = deployment.accounts, deployment.contracts["MockERC20"]
    now = deployment.w3.eth.get_block("latest")["timestamp"]
    proposal = (0, b"\x11" * 32, "", accounts[:3], [5_000, 3_000, 2_000], token.address, now, now + YEAR)
    deployment.transact("Agreements", "propose", proposal)
    assert [row["agreement_id"] for row in own_chain.desk(1)["versions_to_sign"]] == [1]
    assert own_chain.desk(0)["versions_to_sign"] == [], "the proposer signed by proposing"
    assert own_chain.desk(3)["versions_to_sign"] == [], "not a party"
    deployment.transact("Agreements", "sign", 1, 1, sender=1)
    assert own_chain.desk(1)["versions_to_sign"] == []
    assert [row["version"] for row in own_chain.desk(2)["versions_to_sign"]] == [1]
    deployment.transact("Agreements", "sign", 1, 1, sender=2)
    assert own_chain.desk(2)["versions_to_sign"] == [], "in force"

    deployment.transact("Agreements", "raiseDispute", 1, b"\x22" * 32, sender=1)
    raised = own_chain.desk(0)["disputes_to_vote"]
    assert [(row["id"], row["raised_by"], row["votes"]) for row in raised] == [(1, accounts[1], 0)]
    deployment.transact("Agreements", "voteToResolve", 1, sender=0)
    assert own_chain.desk(0)["disputes_to_vote"] == [], "it voted"
    assert [row["votes"] for row in own_chain.desk(2)["disputes_to_vote"]] == [1]
    assert own_chain.desk(4)["disputes_to_vote"] == [], "not a party"

    newcomer = (accounts[7], "Corner Florist", encode_code("florist"), encode_code("north"))
    deployment.transact("Consortium", "proposeAdmission", newcomer, sender=2)
    assert [row["kind"] for row in own_chain.desk(0)["proposals_to_vote"]] == ["admission"]
    deployment.transact("Consortium", "approve", 1, sender=0)
    assert own_chain.desk(0)["proposals_to_vote"] == []
    assert [row["approvals"] for row in own_chain.desk(3)["proposals_to_vote"]] == [1]
    assert own_chain.desk(7)["proposals_to_vote"] == [], "not a member (yet)"
    assert own_chain.desk(7)["member"] is None
