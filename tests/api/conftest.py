"""A real chain with every lifecycle on it, indexed into a store, served by the API in-process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Anvil, Deployment, deploy, iter_anvil, make_lifecycle

TOKEN = "test-token-0123456789abcdef"


@dataclass
class Served:
    """The chain, its deployment, the lifecycle's ids, the indexed store's URL and a client of the API."""

    anvil: Anvil
    deployment: Deployment
    ids: dict[str, int]
    settings: ApiSettings
    client: TestClient

    def store(self) -> Store:
        return Store.open(self.settings.store_url)


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("api")
    for anvil in iter_anvil():
        deployment = deploy(anvil.w3, folder)
        ids = make_lifecycle(deployment)
        settings = ApiSettings(
            rpc_url=anvil.url,
            store_url=f"sqlite:///{folder}/store.db",
            manifest=deployment.manifest_path,
            api_token=TOKEN,
            poll_interval=0.01,
        )
        with Store.open(settings.store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            _wait_for_the_heads_global_figures(client)
            yield Served(anvil, deployment, ids, settings, client)


def _wait_for_the_heads_global_figures(client: TestClient) -> None:
    """The metrics worker publishes the head's counted figures first and its global ones (PageRank,
    communities, alerts...) a moment later; the tests read both at the head, so they start once both are in
    (on a busy machine the moment is long enough for a first request to come between)."""
    deadline = time.monotonic() + 120
    while True:
        network = client.get("/v1/metrics/network").json()
        if network["global_last_change_block"] == network["last_change_block"]:
            return
        assert time.monotonic() < deadline, "the metrics worker never published the head's global figures"
        time.sleep(0.05)


@pytest.fixture
def client(served: Served) -> TestClient:
    return served.client


def error_of(response: object) -> dict[str, object]:
    """The ``error`` object of an error response."""
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    error: dict[str, object] = body["error"]
    return error


class OwnChain:
    """A chain of one test's own, its deployment, and the API over the store its events are indexed into."""

    def __init__(self, deployment: Deployment, settings: ApiSettings, client: TestClient) -> None:
        self.deployment, self.settings, self.client = deployment, settings, client

    def get(self, path: str) -> dict[str, Any]:
        """``path``'s answer once the store has the chain's head."""
        with Store.open(self.settings.store_url) as store:
            manifest = load_manifest(self.deployment.manifest_path)
            Indexer(ChainReader(self.settings.rpc_url), store, manifest).sync()
        head = self.deployment.w3.eth.block_number
        deadline = time.monotonic() + 30
        while self.client.get("/health").json()["indexed_head"] != head:
            assert time.monotonic() < deadline, "the API did not see the indexed head"
            time.sleep(0.02)
        found: dict[str, Any] = self.client.get(path).json()
        return found

    def desk(self, account: int) -> dict[str, Any]:
        """Account ``account``'s desk at the chain's head."""
        found = self.get(f"/v1/members/{self.deployment.accounts[account]}/desk")
        assert found["block"] == self.deployment.w3.eth.block_number
        return found


@pytest.fixture
def own_chain(tmp_path: Path) -> Iterator[OwnChain]:
    """A chain of the test's own, deployed, with the API over a store of its events (the test moves it)."""
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
            yield OwnChain(deployment, settings, client)
