"""/health, and the bearer token on the state-changing endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import queries
from tests.api.conftest import TOKEN, Served, error_of


def test_health_reports_heads_and_lag(served: Served, client: TestClient) -> None:
    body = client.get("/health").json()
    with served.store() as store:
        checkpoint = store.checkpoint()
    assert checkpoint is not None
    assert body["status"] == "ok"
    assert body["indexed_head"] == checkpoint.block_number
    assert body["chain_head"] == served.anvil.w3.eth.block_number
    assert body["lag"] == body["chain_head"] - body["indexed_head"]
    assert (body["confirmations"], body["behind"]) == (0, body["lag"])


def test_health_tells_the_confirmations_waited_for_from_falling_behind(served: Served) -> None:
    """An indexer told to wait 12 confirmations is always 12 blocks behind the head: by design."""
    with served.store() as store:
        checkpoint = store.checkpoint()
    assert checkpoint is not None
    lag = served.anvil.w3.eth.block_number - checkpoint.block_number
    settings = served.settings.model_copy(update={"confirmations": lag + 3})
    with TestClient(create_app(settings)) as waiting:
        body = waiting.get("/health").json()
    assert (body["lag"], body["confirmations"], body["behind"]) == (lag, lag + 3, 0)
    settings = served.settings.model_copy(update={"confirmations": 0})
    served.anvil.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    with TestClient(create_app(settings)) as falling:
        body = falling.get("/health").json()
    assert body["behind"] == body["lag"] == lag + 1
    with served.store() as store:  # the shared store follows the chain again, as the other tests expect
        Indexer(ChainReader(served.anvil.url), store, load_manifest(served.deployment.manifest_path)).sync()


def test_health_with_the_chain_down_is_degraded_not_an_error(served: Served) -> None:
    settings = served.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})
    with TestClient(create_app(settings)) as offline:
        response = offline.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["chain"] == "unreachable"
    assert response.json()["lag"] is None


def test_rebuild_needs_the_bearer_token(served: Served, client: TestClient) -> None:
    path = "/v1/admin/rebuild-projections"
    for headers in ({}, {"Authorization": "Bearer wrong-token-0000000000"}, {"Authorization": TOKEN}):
        response = client.post(path, headers=headers)
        assert response.status_code == 401
        assert error_of(response)["parameter"] == "authorization"
        assert response.headers["www-authenticate"] == "Bearer"
    before = client.get("/v1/agreements").json()
    done = client.post(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 200, done.text
    with served.store() as store:
        assert done.json()["events"] == store.event_count()
    assert client.get("/v1/agreements").json() == before, "rebuilt projections equal the incremental ones"


def test_without_a_token_in_settings_state_changes_are_refused(served: Served) -> None:
    settings = served.settings.model_copy(update={"api_token": None})
    with TestClient(create_app(settings)) as locked:
        response = locked.post("/v1/admin/rebuild-projections", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403
    assert "COOPLEDGER_API_TOKEN" in str(error_of(response)["message"])


@pytest.mark.parametrize("path", ["/v1/agreements/%2F", "/v1/agreements/", "/v1/nowhere"])
def test_an_unknown_path_is_a_404_naming_it(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("No such path: /v1/")


def _integer_parameters(client: TestClient) -> list[tuple[str, str, str]]:
    """(path, where, name) of every integer parameter of every GET operation, from the OpenAPI document."""
    found = []
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            schema = parameter["schema"]
            if "integer" in {schema.get("type"), *(part.get("type") for part in schema.get("anyOf", []))}:
                found.append((path, parameter["in"], parameter["name"]))
    return found


def test_every_integer_in_a_url_is_spelt_in_digits(served: Served, client: TestClient) -> None:
    """pydantic would read ``1.0`` as 1; every block, id and count refuses it, naming the parameter."""
    member = served.deployment.accounts[1]
    checked = []
    for path, where, name in _integer_parameters(client):
        if where == "path":
            url = path.replace("{" + name + "}", "1.0").format_map(_PathValues(member))
        else:
            url = f"{path.format_map(_PathValues(member))}?{name}=1.0"
        response = client.get(url)
        assert response.status_code == 422, url
        error = error_of(response)
        assert error["parameter"] == name, url
        assert (
            error["message"]
            == f"{name}: should be a whole number written in digits (like 1400) (given: '1.0')"
        )
        checked.append(name)
    assert {"as_of_block", "limit", "top", "agreement_id", "program_id", "from_block"} <= set(checked)


class _PathValues(dict[str, str]):
    """What to put in a path's other parameters: a member's address, a hash, or a number."""

    def __init__(self, member: str) -> None:
        super().__init__()
        self.member = member

    def __missing__(self, key: str) -> str:
        if key in {"address", "referrer", "member"}:
            return self.member
        if key in {"commitment", "tx_hash"}:
            return "0x" + "00" * 32
        return "1"


def test_a_fault_on_the_servers_side_is_a_500_in_the_apis_shape(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug answers JSON like every other error, and says nothing of the server's internals."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals: /srv/coopledger/data.db")

    monkeypatch.setattr(queries, "member_page", broken)
    response = client.get("/v1/members")
    assert response.status_code == 500
    error = error_of(response)
    assert error["status"] == 500
    assert "fault on the server's side" in str(error["message"])
    assert "secret" not in response.text
