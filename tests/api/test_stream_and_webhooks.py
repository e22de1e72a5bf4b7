"""Alerts that reach people (issue 22): a webhook receiver sees each alert once, signed, after an outage;
the event stream resumes from ``Last-Event-ID`` without gaps or repeats. The API runs in uvicorn on a port of
its own (an endless stream needs a real server), over a chain of the test's own."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from api.main import create_app
from api.settings import ApiSettings
from ledger.cli import app as cli
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Deployment, deploy, free_port, iter_anvil

SECRET = "shared-secret-0123456789"
OUTAGE = 3  # the receiver answers 503 to its first requests
YEAR = 365 * 24 * 3600


@dataclass
class Receiver:
    """A webhook receiver: the requests it got (after an outage of ``OUTAGE`` failed answers)."""

    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    refused: int = 0
    url: str = ""

    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(body) for body, _ in self.received]


def _receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    found = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                if found.refused < OUTAGE:
                    found.refused += 1
                    self.send_response(503)
                else:
                    found.received.append((body, dict(self.headers)))
                    self.send_response(200)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return found, server


@dataclass
class Live:
    deployment: Deployment
    settings: ApiSettings
    url: str
    receiver: Receiver

    def index(self) -> int:
        """Index the chain up to its head, and wait until the alert monitor has looked at it."""
        with Store.open(self.settings.store_url) as store:
            Indexer(
                ChainReader(self.settings.rpc_url), store, load_manifest(self.deployment.manifest_path)
            ).sync()
            head = self.deployment.w3.eth.block_number
            deadline = time.monotonic() + 60
            while (store.notifications.monitored() or _nothing()).block_number != head:
                assert time.monotonic() < deadline, "the alert monitor did not look at the head"
                time.sleep(0.05)
        return head


def _nothing() -> Any:
    return type("Nothing", (), {"block_number": -1})()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    receiver, hook_server = _receiver()
    for anvil in iter_anvil():
        deployment = deploy(anvil.w3, tmp_path)
        settings = ApiSettings(
            rpc_url=anvil.url,
            store_url=f"sqlite:///{tmp_path}/store.db",
            manifest=deployment.manifest_path,
            poll_interval=0.05,
            metrics_worker="thread",
            metrics_global_interval=0,
            webhook_urls=[receiver.url],
            webhook_secret=SECRET,
            webhook_retry_seconds=0.2,
        )
        with Store.open(settings.store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield Live(deployment, settings, f"http://127.0.0.1:{port}", receiver)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    hook_server.shutdown()


def _rate_badly(deployment: Deployment) -> None:
    """Members 0, 1 and 2 share an agreement; after two weeks 0 rates 1 one star and 2 rates it two (1 is
    rated low by two partners), and 1 rates 0 five stars (0 and 1 rate each other far apart)."""
    now = deployment.w3.eth.get_block("latest")["timestamp"]
    parties = deployment.accounts[:3]
    proposal = (0, b"\x21" * 32, "", parties, [4_000, 3_000, 3_000], "0x" + "00" * 20, now, now + YEAR)
    deployment.transact("Agreements", "propose", proposal)
    for signer in (1, 2):
        deployment.transact("Agreements", "sign", 1, 1, sender=signer)
    deployment.advance(15 * 24 * 3600)
    for rater, ratee, score in ((0, 1, 1), (2, 1, 2), (1, 0, 5)):
        deployment.transact(
            "PartnerRatings", "rate", 1, 1, deployment.accounts[ratee], score, bytes(32), sender=rater
        )


def _wait(condition: Any, what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_each_alert_reaches_the_webhook_once_signed_after_an_outage(live: Live) -> None:
    _rate_badly(live.deployment)
    live.index()
    _wait(lambda: len(live.receiver.received) >= 2, "both alerts delivered")
    assert live.receiver.refused == OUTAGE, "the receiver was down for the first attempts"
    for body, headers in live.receiver.received:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Coopledger-Signature"], expected), "signed with the secret"
    alerts = [found["alert"] for found in live.receiver.accepted()]
    assert sorted((alert["kind"], alert["transition"]) for alert in alerts) == [
        ("low_rating", "appeared"),
        ("ratings_far_apart", "appeared"),
    ]
    low = next(alert for alert in alerts if alert["kind"] == "low_rating")
    assert low["subject"] == live.deployment.accounts[1]
    assert low["evidence"]["ratings"] == 2

    # a new block that changes nothing, and more looks: no alert is sent twice
    live.deployment.advance(60)
    live.index()
    time.sleep(1.5)
    assert len(live.receiver.received) == 2
    with Store.open(live.settings.store_url) as store:
        deliveries = store.notifications.deliveries()
    assert sorted(delivery.status for delivery in deliveries) == ["delivered", "delivered"]
    assert sum(delivery.attempts for delivery in deliveries) == 2 + OUTAGE, "each failed attempt recorded"

    # the operator lists the deliveries and replays one
    runner = CliRunner()
    env = {"COOPLEDGER_STORE_URL": live.settings.store_url, "COLUMNS": "200"}
    listed = runner.invoke(cli, ["webhooks", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {row["status"] for row in rows} == {"delivered"}
    replayed = runner.invoke(cli, ["webhooks", "replay", str(rows[0]["id"])], env=env)
    assert replayed.exit_code == 0, replayed.output
    _wait(lambda: len(live.receiver.received) == 3, "the replayed delivery")
    unknown = runner.invoke(cli, ["webhooks", "replay", "9999"], env=env)
    assert unknown.exit_code == 1
    assert "no webhook delivery 9999" in unknown.stderr


def _read(url: str, headers: dict[str, str], count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """The first ``count`` messages (id, event, data) the stream at ``url`` sends (comments skipped)."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    fields: dict[str, str] = {}
    with httpx.stream("GET", url, headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                continue
            if line:
                name, _, value = line.partition(": ")
                fields[name] = value
                continue
            if "data" in fields:
                found.append(
                    (fields.get("id", ""), fields.get("event", "message"), json.loads(fields["data"]))
                )
            fields = {}
            if len(found) == count:
                break
    return found


def test_the_stream_resumes_from_last_event_id_without_gaps_or_repeats(live: Live) -> None:
    _rate_badly(live.deployment)
    live.index()
    with Store.open(live.settings.store_url) as store:
        events = store.event_count()
        changes = store.notifications.changes_after(-1, 0, 10**9)
    total = events + len(changes)
    whole = _read(f"{live.url}/v1/stream?after=0-e-0", {}, total)  # the chain starts at block 1
    assert [event for _, event, _ in whole].count("alert") == len(changes) == 2
    ids = [place for place, _, _ in whole]
    assert len(set(ids)) == len(ids), "no message twice"
    keys = [(int(place.split("-")[0]), place.split("-")[1] == "a", int(place.split("-")[2])) for place in ids]
    assert keys == sorted(keys), "in the chain's order: a block's events, then its alert changes"
    first = _read(f"{live.url}/v1/stream?after=0-e-0", {}, 10)
    rest = _read(f"{live.url}/v1/stream", {"Last-Event-ID": first[-1][0]}, total - 10)
    assert first + rest == whole, "resumed where it stopped: no gap, no repeat"
    listed = httpx.get(f"{live.url}/v1/events", params={"limit": 500}).json()["data"]
    streamed = [data for _, event, data in whole if event == "ledger-event"]
    assert [(item["block_number"], item["log_index"]) for item in streamed] == [
        (item["block_number"], item["log_index"]) for item in listed
    ]

    # a new client starts at the head with `ready`, then gets what comes next, live
    messages: list[tuple[str, str, dict[str, Any]]] = []
    reader = threading.Thread(target=lambda: messages.extend(_read(f"{live.url}/v1/stream", {}, 2)))
    reader.start()
    time.sleep(1.0)
    live.deployment.transact(
        "PartnerRatings", "rate", 1, 1, live.deployment.accounts[2], 4, bytes(32), sender=0
    )
    live.index()
    reader.join(timeout=60)
    assert [event for _, event, _ in messages] == ["ready", "ledger-event"]
    assert messages[1][2]["event"] == "PartnerRated"
    bad = httpx.get(f"{live.url}/v1/stream", params={"after": "nowhere"})
    assert bad.status_code == 422
