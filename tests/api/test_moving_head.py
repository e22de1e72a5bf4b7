"""Metrics at a moving head: figures keyed by the last change they depend on, computed once per change in the
background, and a request at the head answered at once with the newest complete figures meanwhile."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from fastapi.testclient import TestClient

import api.service
import api.worker
from api.main import create_app
from api.service import LedgerService
from api.settings import ApiSettings
from api.worker import HeadFigures, ProcessRefresher
from ledger.analytics.metrics.report import NetworkReport, network_report, structure_report
from ledger.analytics.metrics.views import Snapshot
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from scripts.toolchain.postgres import Postgres
from tests.ledger.chain_fixtures import Anvil, Deployment, deploy, make_activity, start_anvil

pytestmark = pytest.mark.chain  # each test starts its own anvil: the chain moves on under the API


@dataclass
class Live:
    """A chain that moves on, its indexer (one :meth:`index` per step) and the API over the store."""

    anvil: Anvil
    deployment: Deployment
    settings: ApiSettings
    client: TestClient

    @property
    def service(self) -> LedgerService:
        service: LedgerService = self.client.app.state.service  # type: ignore[attr-defined]
        return service

    def index(self) -> int:
        """Index up to the chain's head; the indexed head."""
        with Store.open(self.settings.store_url) as store:
            Indexer(ChainReader(self.anvil.url), store, load_manifest(self.deployment.manifest_path)).sync()
        head = self.anvil.w3.eth.block_number
        _eventually(
            lambda: self.client.get("/health").json()["indexed_head"] == head, "the API sees the head"
        )
        return head

    def mine_empty_blocks(self, count: int) -> None:
        for _ in range(count):
            self.anvil.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _eventually(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _live(tmp_path: Path, worker: Literal["process", "thread"]) -> Iterator[Live]:
    anvil = start_anvil(None, None)
    try:
        deployment = deploy(anvil.w3, tmp_path)
        make_activity(deployment, rounds=1)
        settings = ApiSettings(
            rpc_url=anvil.url,
            store_url=f"sqlite:///{tmp_path}/store.db",
            manifest=deployment.manifest_path,
            poll_interval=0.01,
            metrics_worker=worker,
            metrics_global_interval=0,
            # the worker's process finds the communities in a second one, as at scale
            metrics_communities_apart_from=0 if worker == "process" else 20_000,
        )
        with Store.open(settings.store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        with TestClient(create_app(settings)) as client:
            yield Live(anvil, deployment, settings, client)
    finally:
        anvil.stop()


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """The head's figures computed in a thread of the API process, where a test can count and hold them."""
    yield from _live(tmp_path, "thread")


@pytest.fixture
def live_with_worker(tmp_path: Path) -> Iterator[Live]:
    """The head's figures computed by the metrics worker, a child process (the default)."""
    yield from _live(tmp_path, "process")


def _fresh(live: Live, path: str) -> dict[str, Any]:
    """``path``'s answer once it is for the indexed head, its global figures too (the background
    computations done)."""
    found: dict[str, Any] = {}

    def current() -> bool:
        found.update(live.client.get(path).json())
        caught_up = found.get("global_last_change_block", found["last_change_block"])
        return bool(found["behind_head"] == 0 and caught_up == found["last_change_block"])

    _eventually(current, f"{path} at the head")
    return found


def _counting(monkeypatch: pytest.MonkeyPatch, gate: threading.Event | None = None) -> list[tuple[str, int]]:
    """Count the structural reports computed, by the metrics worker (``global``) or by the API process for
    an explicit height (``exact``: in full, or the global figures on the head's ties), with the blocks they
    were computed at. With ``gate``, the worker's wait for it first."""
    computed: list[tuple[str, int]] = []
    structure, full = structure_report, network_report  # what api.worker calls

    def global_figures(
        block: int, members: dict[str, Any], ties: Any, *args: Any, **kw: Any
    ) -> NetworkReport:
        computed.append(("global", block))
        if gate is not None:
            assert gate.wait(60), "the test never opened the gate"
        return structure(block, members, ties, *args, **kw)

    def in_full(now: Snapshot) -> NetworkReport:
        computed.append(("exact", now.block))
        return full(now)

    def on_ties(block: int, members: dict[str, Any], ties: Any, *args: Any, **kw: Any) -> NetworkReport:
        computed.append(("exact", block))
        return structure(block, members, ties, *args, **kw)

    monkeypatch.setattr(api.worker, "structure_report", global_figures)
    monkeypatch.setattr(api.worker, "network_report", in_full)
    monkeypatch.setattr(api.service, "structure_report", on_ties)
    return computed


def test_empty_blocks_share_the_figures_of_the_last_change(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _fresh(live, "/v1/metrics/network")
    engine = live.service.refresher.engine  # type: ignore[attr-defined]
    published = engine.counts()
    computed = _counting(monkeypatch)
    live.mine_empty_blocks(80)
    head = live.index()
    for block in range(head - 79, head):  # 79 heights, 4 answers each: more answers than the caches keep
        for path in (
            "/v1/metrics/network",
            "/v1/metrics/value-sharing",
            "/v1/alerts",
            "/v1/metrics/referrals",
        ):
            explicit = live.client.get(f"{path}?as_of_block={block}").json()
            assert (explicit["block"], explicit["behind_head"]) == (block, head - block)
            assert explicit["last_change_block"] == before["last_change_block"]
    after = live.client.get("/v1/metrics/network").json()
    assert (after["block"], after["behind_head"]) == (head, 0)
    assert after["last_change_block"] == before["last_change_block"] < head - 79
    assert {**after, "block": 0} == {**before, "block": 0}
    assert computed == [], "empty blocks computed nothing, and their answers evicted no figure"
    assert engine.counts() == published, "nor did the metrics worker"


def test_counted_figures_follow_at_once_and_global_ones_catch_up(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _fresh(live, "/v1/metrics/network")
    assert before["global_last_change_block"] == before["last_change_block"]
    gate = threading.Event()
    computed = _counting(monkeypatch, gate)
    make_activity(live.deployment, rounds=1, tag="b")  # new agreements, deposits and referrals
    head = live.index()

    # the global figures are being recomputed (held at the gate): the counted ones are at the head already
    _eventually(lambda: len(computed) >= 1, "the global figures' computation to start")
    meanwhile: dict[str, Any] = {}

    def counted_at_head() -> bool:
        meanwhile.update(live.client.get("/v1/metrics/network").json())
        return bool(
            meanwhile["block"] == head and meanwhile["last_change_block"] > before["last_change_block"]
        )

    _eventually(counted_at_head, "the counted figures at the head")
    assert meanwhile["block"] == head
    assert meanwhile["last_change_block"] > before["last_change_block"]
    assert meanwhile["top_strength"] != before["top_strength"], "the new ties show at once"
    assert meanwhile["global_last_change_block"] == before["last_change_block"], "they say they are older"
    assert meanwhile["top_pagerank"] == before["top_pagerank"]
    exact = live.client.get(f"/v1/metrics/network?as_of_block={head}").json()
    assert exact["global_last_change_block"] == exact["last_change_block"], "an explicit height is in full"
    assert {key: exact[key] for key in ("ties", "top_strength")} == {
        key: meanwhile[key] for key in ("ties", "top_strength")
    }

    gate.set()
    _eventually(
        lambda: (
            live.client.get("/v1/metrics/network").json()["global_last_change_block"]
            == meanwhile["last_change_block"]
        ),
        "the global figures to catch up",
    )
    after = live.client.get("/v1/metrics/network").json()
    assert after["top_pagerank"] == exact["top_pagerank"], "caught up, they are the full computation's"
    alerts = live.client.get("/v1/alerts").json()
    assert (alerts["block"], alerts["behind_head"]) == (head, 0)
    assert alerts["global_last_change_block"] == alerts["last_change_block"]
    at_head = [block for kind, block in computed if kind == "global"]
    assert len(at_head) == len(set(at_head)), "each change's global figures computed once"
    assert ("exact", head) in computed, "the explicit height asked before they caught up"


def _stored_count(live: Live, event: str | None = None) -> int:
    """The events the store holds (of name ``event``), counted by SQLite itself."""
    with sqlite3.connect(live.settings.store_url.removeprefix("sqlite:///")) as connection:
        if event is None:
            (count,) = connection.execute("SELECT count(*) FROM events").fetchone()
        else:
            (count,) = connection.execute("SELECT count(*) FROM events WHERE event = ?", (event,)).fetchone()
    return int(count)


def test_the_history_count_follows_new_events_and_a_reorganisation(live: Live) -> None:
    deposits = "/v1/events?event=RevenueDeposited&limit=1"
    assert live.client.get(deposits).json()["count"] == _stored_count(live, event="RevenueDeposited")
    fork_point = live.anvil.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    make_activity(live.deployment, rounds=2, tag="b")
    grown_head = live.index()
    grown = live.client.get(deposits).json()
    assert grown["count"] == _stored_count(live, event="RevenueDeposited")
    assert live.client.get("/v1/events").json()["count"] == _stored_count(live)

    # the chain reorganises: the blocks since the fork point are replaced by longer, quieter ones
    live.anvil.w3.provider.make_request("evm_revert", [fork_point])  # type: ignore[arg-type]
    make_activity(live.deployment, rounds=1, tag="c")
    live.mine_empty_blocks(grown_head + 1 - live.anvil.w3.eth.block_number)
    assert live.index() > grown_head
    after = live.client.get(deposits).json()
    assert after["count"] == _stored_count(live, event="RevenueDeposited") < grown["count"]
    assert live.client.get("/v1/events").json()["count"] == _stored_count(live)


def test_the_metrics_worker_computes_the_head_in_a_child_process(
    live_with_worker: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = live_with_worker
    refresher = live.service.refresher
    assert isinstance(refresher, ProcessRefresher)
    assert refresher.pid is not None
    assert refresher.pid != os.getpid()
    before = _fresh(live, "/v1/metrics/network")
    in_the_api = _counting(monkeypatch)
    received: list[int] = []
    accept = live.service.accept

    def counted(found: HeadFigures) -> None:
        received.append(found.block)
        accept(found)

    monkeypatch.setattr(live.service, "accept", counted)

    live.mine_empty_blocks(5)
    head = live.index()
    quiet = live.client.get("/v1/metrics/network").json()
    assert (quiet["block"], quiet["behind_head"]) == (head, 0), "empty blocks share the last change's figures"

    make_activity(live.deployment, rounds=1, tag="b")
    head = live.index()
    _eventually(
        lambda: (
            live.client.get("/v1/metrics/network").json()["last_change_block"] > before["last_change_block"]
        ),
        "the counted figures of the change",
    )
    # asked exactly at the head, the API process waits for the worker's global figures of the change
    # rather than computing them itself
    exact = live.client.get(f"/v1/metrics/network?as_of_block={head}").json()
    after = _fresh(live, "/v1/metrics/network")
    assert after["block"] == head
    assert after["last_change_block"] > before["last_change_block"]
    assert after["top_strength"] != before["top_strength"]
    assert {**exact, "behind_head": 0} == after
    assert received, f"the figures came from the worker (in the API: {in_the_api})"
    assert max(received) == head
    assert in_the_api == [], "the API process computed nothing at the head"
    assert refresher.daemonic is False, "a daemonic worker could not start the communities' process"


def test_a_metrics_worker_that_died_is_replaced(live_with_worker: Live) -> None:
    live = live_with_worker
    refresher = live.service.refresher
    assert isinstance(refresher, ProcessRefresher)
    before = _fresh(live, "/v1/metrics/network")
    first = refresher.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)  # the kernel's out-of-memory killer, say
    _eventually(lambda: not _alive(first), "the worker to die")
    make_activity(live.deployment, rounds=1, tag="b")
    head = live.index()
    after = _fresh(live, "/v1/metrics/network")  # a request wakes the worker: a new one computes the change
    assert (after["block"], after["behind_head"]) == (head, 0)
    assert after["last_change_block"] > before["last_change_block"]
    assert refresher.pid not in (None, first)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie does not; it is left for its parent to reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _worker_pid(computed_by: str) -> int:
    return int(computed_by.rsplit(":", 1)[1])


def test_two_api_processes_on_postgresql_compute_each_figure_once(tmp_path: Path, postgres: Postgres) -> None:
    anvil = start_anvil(None, None)
    try:
        deployment = deploy(anvil.w3, tmp_path)
        make_activity(deployment, rounds=1)
        settings = ApiSettings(
            rpc_url=anvil.url,
            store_url=postgres.new_database("replicas"),
            manifest=deployment.manifest_path,
            poll_interval=0.01,
            metrics_worker="process",
            metrics_global_interval=0,
        )
        with Store.open(settings.store_url) as store:
            Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        with TestClient(create_app(settings)) as first, TestClient(create_app(settings)) as second:
            replicas = [Live(anvil, deployment, settings, client) for client in (first, second)]
            workers = {replica.service.refresher.pid for replica in replicas}  # type: ignore[attr-defined]
            assert len(workers) == 2, "each API process has its own metrics worker"

            def same_head_everywhere(head: int) -> dict[str, Any]:
                answers: list[dict[str, Any]] = []

                def agreed() -> bool:
                    answers[:] = [replica.client.get("/v1/metrics/network").json() for replica in replicas]
                    return all(
                        (answer["block"], answer["global_last_change_block"])
                        == (head, answer["last_change_block"])
                        for answer in answers
                    )

                _eventually(agreed, "both API processes to answer the head")
                assert answers[0] == answers[1], "they serve the same figures"
                return answers[0]

            head = replicas[0].index()
            before = same_head_everywhere(head)
            make_activity(deployment, rounds=1, tag="b")
            head = replicas[0].index()
            after = same_head_everywhere(head)
            assert after["top_strength"] != before["top_strength"]

            with Store.open(settings.store_url) as store:
                computations = store.shared_figures_log()
            leaders = {row.computed_by for row in computations}
            assert len(leaders) == 1, f"one worker computed for both API processes: {leaders}"
            keys = [(row.key, row.global_key) for row in computations]
            assert len(keys) == len(set(keys)), "each change's figures computed once"
            (leader,) = leaders
            assert _worker_pid(leader) in workers

            # the leader's worker dies: the other one leads, and both API processes follow the chain
            os.kill(_worker_pid(leader), signal.SIGKILL)
            _eventually(lambda: not _alive(_worker_pid(leader)), "the leading worker to die")
            make_activity(deployment, rounds=1, tag="c")
            head = replicas[0].index()
            same_head_everywhere(head)
            with Store.open(settings.store_url) as store:
                newer = [row for row in store.shared_figures_log() if row.id > computations[-1].id]
            assert newer, "the figures of the new change were shared"
            assert {row.computed_by for row in newer} - {leader}, "another worker took the lead"
    finally:
        anvil.stop()
