"""/v1/audit: the digest equals an independent recomputation from the chain; verify finds tampering."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.main import create_app
from tests.api.conftest import Served, error_of

PROJECT = Path(__file__).resolve().parents[3]


def _recomputed(served: Served, to_block: int) -> dict[str, object]:
    """The digest as scripts/audit_digest.py computes it from the chain (another process, no coopledger)."""
    finished = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "scripts" / "audit_digest.py"),
            "--rpc-url",
            served.anvil.url,
            "--manifest",
            str(served.deployment.manifest_path),
            "--to-block",
            str(to_block),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(finished.stdout)
    return result


def test_the_digest_equals_the_auditors_recomputation(served: Served, client: TestClient) -> None:
    body = client.get("/v1/audit/digest").json()
    with served.store() as store:
        assert body["events"] == store.event_count()
    again = _recomputed(served, body["to_block"])
    assert again["digest"] == body["digest"]
    assert again["events"] == body["events"]
    earlier = client.get(f"/v1/audit/digest?to_block={body['to_block'] - 5}").json()
    assert earlier["events"] < body["events"]
    assert _recomputed(served, earlier["to_block"])["digest"] == earlier["digest"]


def test_digest_bad_input(client: TestClient) -> None:
    response = client.get("/v1/audit/digest?to_block=999999999")
    assert response.status_code == 409
    assert error_of(response)["parameter"] == "to_block"
    assert client.get("/v1/audit/digest?to_block=-1").status_code == 422


def test_verify_a_sample_and_a_range_against_the_chain(client: TestClient) -> None:
    sampled = client.get("/v1/audit/verify?sample=5&seed=1").json()
    assert sampled["ok"] is True
    assert sampled["blocks_checked"] == 5
    assert sampled["events_compared"] >= 5
    head = client.get("/v1/audit/digest").json()["to_block"]
    ranged = client.get(f"/v1/audit/verify?from_block=0&to_block={head}").json()
    assert ranged["ok"] is True
    assert ranged["events_compared"] == client.get("/v1/events").json()["count"]
    everything = client.get("/v1/audit/verify?all=true").json()
    assert everything["ok"] is True
    assert everything["events_compared"] == ranged["events_compared"]


def test_verify_reports_an_altered_and_a_missing_event(served: Served, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.db"
    shutil.copy(served.settings.store_url.removeprefix("sqlite:///"), copy)
    engine = create_engine(f"sqlite:///{copy}")
    with engine.begin() as connection:
        altered = connection.execute(
            text(
                "SELECT id, tx_hash, log_index FROM events "
                "WHERE event = 'RevenueDeposited' ORDER BY id LIMIT 1"
            )
        ).one()
        connection.execute(
            text("UPDATE events SET args = json_set(args, '$.amount', 1) WHERE id = :id"), {"id": altered.id}
        )
        dropped = connection.execute(
            text("SELECT id, tx_hash, log_index FROM events WHERE event = 'Withdrawn' ORDER BY id LIMIT 1")
        ).one()
        connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": dropped.id})
    engine.dispose()
    settings = served.settings.model_copy(update={"store_url": f"sqlite:///{copy}"})
    with TestClient(create_app(settings)) as tampered:
        head = tampered.get("/v1/audit/digest").json()
        assert head["digest"] != served.client.get("/v1/audit/digest").json()["digest"]
        found = tampered.get(f"/v1/audit/verify?from_block=0&to_block={head['to_block']}").json()
        everything = tampered.get("/v1/audit/verify?all=true").json()
    expected = {
        (altered.tx_hash, altered.log_index): "differs in args",
        (dropped.tx_hash, dropped.log_index): "on the chain but not in the store",
    }
    for answer in (found, everything):
        assert answer["ok"] is False
        problems = {(item["tx_hash"], item["log_index"]): item["problem"] for item in answer["mismatches"]}
        assert problems == expected
    assert everything["events_compared"] == found["events_compared"]


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("from_block=5", 422, "to_block"),
        ("from_block=9&to_block=2", 422, "to_block"),
        ("from_block=0&to_block=999999999", 409, "to_block"),
        ("sample=0", 422, "sample"),
        ("sample=10000", 422, "sample"),
        ("all=true&from_block=0&to_block=3", 422, "all"),
        ("all=maybe", 422, "all"),
    ],
)
def test_verify_bad_input(client: TestClient, query: str, status: int, parameter: str) -> None:
    response = client.get(f"/v1/audit/verify?{query}")
    assert response.status_code == status
    assert error_of(response)["parameter"] == parameter


def test_verify_with_the_chain_down_is_a_503_that_says_so(served: Served) -> None:
    settings = served.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})
    with TestClient(create_app(settings)) as offline:
        response = offline.get("/v1/audit/verify?sample=1")
    assert response.status_code == 503
    assert "COOPLEDGER_RPC_URL" in str(error_of(response)["message"])
