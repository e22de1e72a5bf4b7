"""A member's desk follows the chain: a version leaves a party's desk when it signs, a dispute when it votes,
a proposal when it approves; the lists are what the contracts would accept from that member."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.codes import encode_code
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Deployment, deploy, iter_anvil

pytestmark = pytest.mark.chain  # each test starts its own anvil

YEAR = 365 * 24 * 3600


class Desks:
    """A chain, its deployment and the API over the store its events are indexed into."""

    def __init__(self, deployment: Deployment, settings: ApiSettings, client: TestClient) -> None:
        self.deployment, self.settings, self.client = deployment, settings, client

    def of(self, account: int) -> dict[str, Any]:
        """Account ``account``'s desk once the store has the chain's head."""
        with Store.open(self.settings.store_url) as store:
            Indexer(
                ChainReader(self.settings.rpc_url), store, load_manifest(self.deployment.manifest_path)
            ).sync()
        head = self.deployment.w3.eth.block_number
        deadline = time.monotonic() + 30
        while self.client.get("/health").json()["indexed_head"] != head:
            assert time.monotonic() < deadline, "the API did not see the indexed head"
            time.sleep(0.02)
        found: dict[str, Any] = self.client.get(
            f"/v1/members/{self.deployment.accounts[account]}/desk"
        ).json()
        assert found["block"] == head
        return found


@pytest.fixture
def desks(tmp_path: Path) -> Iterator[Desks]:
    for anvil in iter_anvil():
        deployment = deploy(anvil.w3, tmp_path)
        settings = ApiSettings(
            rpc_url=anvil.url,
            store_url=f"sqlite:///{tmp_path}/store.db",
            manifest=deployment.manifest_path,
            poll_interval=0.01,
            metrics_worker="thread",
        )
        with Store.open(settings.store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        with TestClient(create_app(settings)) as client:
            yield Desks(deployment, settings, client)


def test_signing_voting_and_approving_clear_the_desk(desks: Desks) -> None:
    deployment = desks.deployment
    accounts, token = deployment.accounts, deployment.contracts["MockERC20"]
    now = deployment.w3.eth.get_block("latest")["timestamp"]
    proposal = (0, b"\x11" * 32, "", accounts[:3], [5_000, 3_000, 2_000], token.address, now, now + YEAR)
    deployment.transact("Agreements", "propose", proposal)
    assert [row["agreement_id"] for row in desks.of(1)["versions_to_sign"]] == [1]
    assert desks.of(0)["versions_to_sign"] == [], "the proposer signed by proposing"
    assert desks.of(3)["versions_to_sign"] == [], "not a party"
    deployment.transact("Agreements", "sign", 1, 1, sender=1)
    assert desks.of(1)["versions_to_sign"] == []
    assert [row["version"] for row in desks.of(2)["versions_to_sign"]] == [1]
    deployment.transact("Agreements", "sign", 1, 1, sender=2)
    assert desks.of(2)["versions_to_sign"] == [], "in force"

    deployment.transact("Agreements", "raiseDispute", 1, b"\x22" * 32, sender=1)
    raised = desks.of(0)["disputes_to_vote"]
    assert [(row["id"], row["raised_by"], row["votes"]) for row in raised] == [(1, accounts[1], 0)]
    deployment.transact("Agreements", "voteToResolve", 1, sender=0)
    assert desks.of(0)["disputes_to_vote"] == [], "it voted"
    assert [row["votes"] for row in desks.of(2)["disputes_to_vote"]] == [1]
    assert desks.of(4)["disputes_to_vote"] == [], "not a party"

    newcomer = (accounts[7], "Corner Florist", encode_code("florist"), encode_code("north"))
    deployment.transact("Consortium", "proposeAdmission", newcomer, sender=2)
    assert [row["kind"] for row in desks.of(0)["proposals_to_vote"]] == ["admission"]
    deployment.transact("Consortium", "approve", 1, sender=0)
    assert desks.of(0)["proposals_to_vote"] == []
    assert [row["approvals"] for row in desks.of(3)["proposals_to_vote"]] == [1]
    assert desks.of(7)["proposals_to_vote"] == [], "not a member (yet)"
    assert desks.of(7)["member"] is None
