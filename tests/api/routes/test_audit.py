"""/v1/audit: the digest equals an independent recomputation from the chain; verify finds tampering."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.main import create_app
from api.routes import audit as audit_route
from ledger.analytics.audit import RangeChecked, verify_ranges
from ledger.exceptions import ChainError
from ledger.protocol.manifest import load_manifest
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


def _stream(client: TestClient, query: str = "") -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The range lines and the last line of ``/v1/audit/verify?query``."""
    response = client.get(f"/v1/audit/verify?{query}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert all(set(line) == {"range"} for line in lines[:-1]), lines
    return [line["range"] for line in lines[:-1]], lines[-1]


def test_verify_streams_every_range_of_every_block_then_a_summary(served: Served, client: TestClient) -> None:
    head = client.get("/v1/audit/digest").json()["to_block"]
    start = load_manifest(served.deployment.manifest_path).start_block
    ranges, last = _stream(client, "range_blocks=7")
    summary = last["summary"]
    assert summary["ok"] is True
    assert (summary["first_block"], summary["last_block"]) == (start, head)
    assert summary["blocks_checked"] == head - start + 1
    assert summary["ranges"] == len(ranges) == -(-(head - start + 1) // 7)
    assert [(item["first_block"], item["last_block"]) for item in ranges][:2] == [
        (start, start + 6),
        (start + 7, start + 13),
    ]
    assert all(item["agreed"] and item["stored_events"] == item["chain_events"] for item in ranges)
    assert summary["events_compared"] == sum(item["stored_events"] for item in ranges)
    assert summary["events_compared"] == client.get("/v1/events").json()["count"]
    _, whole = _stream(client)
    assert whole["summary"]["ranges"] == 1
    assert whole["summary"]["events_compared"] == summary["events_compared"]


def test_verify_a_range_and_an_empty_one(client: TestClient) -> None:
    head = client.get("/v1/audit/digest").json()["to_block"]
    ranges, last = _stream(client, f"from_block={head - 9}&to_block={head - 5}")
    assert last["summary"]["blocks_checked"] == 5
    assert [(item["first_block"], item["last_block"]) for item in ranges] == [(head - 9, head - 5)]
    in_range = client.get(f"/v1/events?from_block={head - 9}&to_block={head - 5}").json()["count"]
    assert last["summary"]["events_compared"] == in_range
    ranges, last = _stream(client, "from_block=9&to_block=2")
    assert ranges == []
    assert last["summary"]["blocks_checked"] == 0


def test_verify_a_sample_against_the_chain(client: TestClient) -> None:
    sampled = client.get("/v1/audit/sample?sample=5&seed=1").json()
    assert sampled["ok"] is True
    assert sampled["blocks_checked"] == 5
    assert sampled["events_compared"] >= 5
    assert client.get("/v1/audit/sample?sample=5&seed=1").json() == sampled


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
        ranges, last = _stream(tampered, "range_blocks=5")
    expected = {
        (altered.tx_hash, altered.log_index): "differs in args",
        (dropped.tx_hash, dropped.log_index): "on the chain but not in the store",
    }
    found = {
        (item["tx_hash"], item["log_index"]): item["problem"]
        for line in ranges
        for item in line["mismatches"]
    }
    assert found == expected
    assert sum(not line["agreed"] for line in ranges) in (1, 2)
    assert last["summary"]["ok"] is False
    assert last["summary"]["mismatches"] == 2


@pytest.mark.parametrize(
    ("path", "query", "status", "parameter"),
    [
        ("verify", "to_block=999999999", 409, "to_block"),
        ("verify", "from_block=-1", 422, "from_block"),
        ("verify", "range_blocks=0", 422, "range_blocks"),
        ("verify", "range_blocks=100001", 422, "range_blocks"),
        ("sample", "sample=0", 422, "sample"),
        ("sample", "sample=10000", 422, "sample"),
        ("sample", "seed=-1", 422, "seed"),
    ],
)
def test_verify_bad_input(client: TestClient, path: str, query: str, status: int, parameter: str) -> None:
    response = client.get(f"/v1/audit/{path}?{query}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert error_of(response)["parameter"] == parameter


@pytest.mark.parametrize("path", ["verify", "sample?sample=1"])
def test_verify_with_the_chain_down_is_a_503_that_says_so(served: Served, path: str) -> None:
    settings = served.settings.model_copy(update={"rpc_url": "http://127.0.0.1:9"})
    with TestClient(create_app(settings)) as offline:
        response = offline.get(f"/v1/audit/{path}")
    assert response.status_code == 503
    assert "COOPLEDGER_RPC_URL" in str(error_of(response)["message"])


def test_a_chain_failing_midway_ends_the_stream_with_an_error_line(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = verify_ranges

    def failing_after_one(*args: Any, **kwargs: Any) -> Iterator[RangeChecked]:
        ranges = real(*args, **kwargs)
        yield next(ranges)
        raise ChainError("The node at http://127.0.0.1:8545 did not answer.")

    monkeypatch.setattr(audit_route, "verify_ranges", failing_after_one)
    ranges, last = _stream(client, "range_blocks=3")
    assert len(ranges) == 1
    assert last["error"]["status"] == 503
    assert "did not answer" in last["error"]["message"]
