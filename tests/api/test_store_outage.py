"""A PostgreSQL store that stops answering (a restart, an outage): the API says so in its error JSON, with a
503 and a hint to retry, and serves again once the database is back."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.main import create_app
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from scripts.toolchain.postgres import Postgres
from tests.api.conftest import Served, error_of


def test_a_database_outage_is_a_503_in_the_error_shape_and_passes(
    served: Served, own_postgres: Postgres
) -> None:
    settings = served.settings.model_copy(update={"store_url": own_postgres.new_database("api")})
    with Store.open(settings.store_url) as store:
        Indexer(ChainReader(served.anvil.url), store, load_manifest(served.deployment.manifest_path)).sync()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        members = client.get("/v1/members")
        assert members.status_code == 200

        own_postgres.halt()
        down = client.get("/v1/members")
        assert down.status_code == 503
        assert down.headers["retry-after"] == "5"
        error = error_of(down)
        assert error["status"] == 503
        assert "does not answer" in str(error["message"])
        assert "postgres" not in str(error["message"]), "the store's address is not the client's business"
        assert client.get("/v1/metrics/network").status_code == 503
        health = client.get("/health").json()
        assert (health["status"], health["store"]) == ("degraded", "unreachable")

        own_postgres.resume()
        assert client.get("/v1/members").content == members.content, "served again, as before"
        assert client.get("/health").json()["store"] == "ok"
