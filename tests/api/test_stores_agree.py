"""The same chain indexed into SQLite and into PostgreSQL: every GET endpoint answers the same bytes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from scripts.toolchain.postgres import Postgres
from tests.api.conftest import Served


@pytest.fixture(scope="module")
def on_postgres(served: Served, postgres: Postgres) -> Iterator[TestClient]:
    """The API over the served chain indexed afresh into a PostgreSQL store."""
    settings = served.settings.model_copy(update={"store_url": postgres.new_database("api")})
    with Store.open(settings.store_url) as store:
        Indexer(ChainReader(served.anvil.url), store, load_manifest(served.deployment.manifest_path)).sync()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def _gets(served: Served) -> list[str]:
    """A GET of every endpoint, with the lifecycle's ids, plus filters, pages and heights that reach the
    stores' ordering and comparisons."""
    accounts = served.deployment.accounts
    referral = served.client.get("/v1/referrals", params={"limit": 1}).json()["data"][0]
    head = served.client.get("/health").json()["indexed_head"]
    middle = head // 2
    return [
        "/health",
        "/v1/members",
        "/v1/members?status=active&limit=2",
        f"/v1/members/{accounts[0]}",
        "/v1/assets",
        "/v1/assets?approved=false",
        "/v1/agreements",
        f"/v1/agreements?party={accounts[1]}&status=terminated",
        f"/v1/agreements?active_at_block={middle}",
        f"/v1/agreements/{served.ids['agreement']}",
        "/v1/programs",
        f"/v1/programs/{served.ids['program']}",
        "/v1/referrals",
        f"/v1/referrals?referrer={referral['referrer']}&status=claimed",
        f"/v1/referrals/{referral['program_id']}/{referral['referrer']}/{referral['commitment']}",
        "/v1/events",
        "/v1/events?limit=7",
        f"/v1/events?address={accounts[2].lower()}&from_block={middle}",
        "/v1/events?contract=Agreements&event=RevenueDeposited",
        "/v1/exports/events.csv",
        "/v1/exports/members.csv",
        "/v1/exports/metrics.csv",
        f"/v1/exports/metrics.csv?as_of_block={middle}",
        "/v1/metrics/network",
        f"/v1/metrics/network?as_of_block={middle}&top=3",
        "/v1/metrics/value-sharing",
        "/v1/metrics/referrals",
        "/v1/metrics/activity?period=week",
        f"/v1/metrics/members/{accounts[0]}",
        "/v1/alerts",
        "/v1/graph",
        "/v1/graph?format=graphml&view=weighted",
        "/v1/graph?format=gexf",
        "/v1/audit/digest",
        f"/v1/audit/digest?to_block={middle}",
        "/v1/audit/sample?seed=7&sample=5",
        "/v1/audit/verify?range_blocks=10",
        "/v1/members/0x0000000000000000000000000000000000000001",
        "/v1/agreements/999",
    ]


def _settled(client: TestClient, timeout: float = 120.0) -> None:
    """Wait until ``client``'s metrics worker has the head's figures, the global ones included (a new API
    process serves the counted figures first)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get("/v1/metrics/network").json()
        if answer["behind_head"] == 0 and answer["global_last_change_block"] == answer["last_change_block"]:
            return
        assert time.monotonic() < deadline, "the head's global figures were never computed"
        time.sleep(0.1)


def test_every_get_answers_the_same_bytes_on_both_stores(served: Served, on_postgres: TestClient) -> None:
    _settled(served.client)
    _settled(on_postgres)
    differing = []
    for url in _gets(served):
        sqlite, postgres = served.client.get(url), on_postgres.get(url)
        if (sqlite.status_code, sqlite.content) != (postgres.status_code, postgres.content):
            differing.append(
                f"{url}: {sqlite.status_code} {sqlite.content[:200]!r} vs {postgres.status_code} "
                f"{postgres.content[:200]!r}"
            )
    assert not differing, "\n".join(differing)
    assert served.client.get("/v1/events").json()["count"] > 100, "the comparison covered a real history"
