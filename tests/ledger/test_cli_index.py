"""`coopledger index` as a user runs it: a real process against a real anvil, killed and restarted at will."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger.store import Store
from ledger.store.schema import PROJECTION_TABLES
from tests.ledger.chain_fixtures import (
    Anvil,
    Deployment,
    chain_log_keys,
    deploy,
    free_port,
    make_activity,
    start_anvil,
)

COOPLEDGER = Path(sys.executable).parent / "coopledger"


Where = Path | str  # a SQLite store's file, or any store's URL


def _url(store: Where) -> str:
    return f"sqlite:///{store}" if isinstance(store, Path) else store


def _env(anvil: Anvil, deployment: Deployment, store: Where, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "COOPLEDGER_RPC_URL": anvil.url,
        "COOPLEDGER_STORE_URL": _url(store),
        "COOPLEDGER_MANIFEST": str(deployment.manifest_path),
        **extra,
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COOPLEDGER), "index", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _rows(store: Where) -> list[tuple[Any, ...]]:
    with Store.open(_url(store)) as opened:
        return [
            (
                row["tx_hash"],
                row["log_index"],
                row["block_number"],
                row["contract"],
                row["event"],
                row["args"],
            )
            for row in opened.event_rows()
        ]


def _projections(store: Where) -> dict[str, list[dict[str, Any]]]:
    with Store.open(_url(store)) as opened:
        return {table: opened.projection_rows(table) for table in PROJECTION_TABLES}


def _addresses(deployment: Deployment) -> list[str]:
    return [contract.address for contract in deployment.contracts.values()]


def test_index_once_mirrors_the_chain(anvil: Anvil, deployment: Deployment, tmp_path: Path) -> None:
    make_activity(deployment, rounds=2)
    store = tmp_path / "store.db"
    result = _run(_env(anvil, deployment, store), "--once")
    assert result.returncode == 0, result.stderr
    assert "events" in result.stdout
    assert [row[:2] for row in _rows(store)] == chain_log_keys(anvil.url, _addresses(deployment))


def _checkpoint(store: Where) -> int:
    """The checkpoint's block read straight from the database (-1 before the first commit), without opening
    a store (which would migrate it) while the indexer writes."""
    query = "SELECT block_number FROM checkpoint WHERE id = 1"
    if isinstance(store, str) and store.startswith("sqlite:///"):
        store = Path(store.removeprefix("sqlite:///"))
    try:
        if isinstance(store, Path):
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as connection:
                row = connection.execute(query).fetchone()
        else:
            with psycopg.connect(store.replace("+psycopg", ""), connect_timeout=2) as connection:
                row = connection.execute(query).fetchone()
    except (sqlite3.Error, psycopg.Error):
        return -1
    return -1 if row is None else int(row[0])


def test_killed_at_random_moments_the_store_ends_exact(
    anvil: Anvil, deployment: Deployment, new_store_url: Callable[[str], str]
) -> None:
    """SIGKILL ten times mid-backfill, on SQLite and on PostgreSQL: the store ends equal to a clean run."""
    make_activity(deployment, rounds=12)
    store = new_store_url("killed")
    env = _env(anvil, deployment, store, COOPLEDGER_BATCH_BLOCKS="1", COOPLEDGER_MAX_BATCH_BLOCKS="2")
    rng = random.Random(20261122)
    kills = 0
    while kills < 10:
        before = _checkpoint(store)
        process = subprocess.Popen([str(COOPLEDGER), "index", "--once"], env=env, stdout=subprocess.DEVNULL)
        wanted = rng.randint(1, 8)  # kill once the checkpoint moved this many blocks: mid-backfill
        deadline = time.monotonic() + 60
        while process.poll() is None and _checkpoint(store) < before + wanted and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.0, 0.02))
        if process.poll() is not None:
            break  # it finished before the kill: the chain is fully indexed
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    assert kills == 10, f"only {kills} kills landed mid-backfill; make the chain longer"
    finished = _run(env, "--once")
    assert finished.returncode == 0, finished.stderr

    chain_keys = chain_log_keys(anvil.url, _addresses(deployment))
    killed_rows = _rows(store)
    assert [row[:2] for row in killed_rows] == chain_keys, "same set and order, no duplicate, no gap"

    clean = new_store_url("clean")
    assert _run(_env(anvil, deployment, clean), "--once").returncode == 0
    assert killed_rows == _rows(clean), "identical to a single clean run"
    killed_projections = _projections(store)
    assert killed_projections == _projections(clean), "projections too: nothing folded twice or missed"
    assert len(killed_projections["agreements"]) == 12


def _wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.chain  # starts its own node, to stop and restart it
def test_a_node_outage_is_waited_out_and_indexing_resumes_without_loss(tmp_path: Path) -> None:
    state, port = tmp_path / "chain-state.json", free_port()
    anvil = start_anvil(port, state)
    indexer: subprocess.Popen[bytes] | None = None
    try:
        deployment = deploy(anvil.w3, tmp_path)
        make_activity(deployment, rounds=1)
        store, output = tmp_path / "store.db", tmp_path / "indexer.out"
        env = _env(anvil, deployment, store, COOPLEDGER_POLL_INTERVAL="0.2")
        with output.open("wb") as sink:
            indexer = subprocess.Popen(  # a background job (`coopledger index &`): SIGINT starts ignored
                [str(COOPLEDGER), "index"], env=env, stdout=sink, stderr=sink, preexec_fn=_ignore_sigint
            )
        _wait_for(lambda: _checkpoint(store) >= anvil.w3.eth.block_number, "the backfill")

        anvil.stop()  # the node goes away mid-follow (saving its chain)
        _wait_for(lambda: "waiting for the node" in output.read_text(), "the indexer to say it waits")
        time.sleep(2)  # several retries, with growing waits
        assert indexer.poll() is None, "an outage is not fatal"

        anvil = start_anvil(port, state)
        make_activity(deployment, rounds=1, tag="after-outage")
        _wait_for(lambda: _checkpoint(store) >= anvil.w3.eth.block_number, "indexing to catch up")
        indexer.send_signal(signal.SIGINT)  # Ctrl-C stops it all the same, as its banner says
        assert indexer.wait(timeout=30) == 0
        chain_keys = chain_log_keys(anvil.url, _addresses(deployment))
    finally:
        if indexer is not None and indexer.poll() is None:
            indexer.kill()
        anvil.stop()
    text = output.read_text()
    assert text.count("waiting for the node:") == 1, "announced once; the status line shows the retries"
    assert "node is back" in text
    assert "stopped; the store is complete up to block" in text
    assert [row[:2] for row in _rows(store)] == chain_keys


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"COOPLEDGER_RPC_URL": "http://127.0.0.1:9"}, "does not answer"),
        (
            {"COOPLEDGER_CONFIRMATIONS": "-3"},
            "COOPLEDGER_CONFIRMATIONS: Input should be greater than or equal to 0",
        ),
        (
            {"COOPLEDGER_MANIFEST": "/nonexistent/31337.json"},
            "No deployment manifest at /nonexistent/31337.json",
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    anvil: Anvil, deployment: Deployment, tmp_path: Path, change: dict[str, str], message: str
) -> None:
    store = tmp_path / "store.db"
    result = _run({**_env(anvil, deployment, store), **change}, "--once")
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert not store.exists(), "nothing written to the store"


def test_a_manifest_without_the_contracts_facts_is_named_and_nothing_is_written(
    anvil: Anvil, deployment: Deployment, tmp_path: Path
) -> None:
    """A manifest written before manifests recorded the contracts' enums (the bench chain's was one)."""
    manifest = json.loads(deployment.manifest_path.read_text())
    for record in manifest["contracts"].values():
        record["enums"] = {}
    old = tmp_path / "old-manifest.json"
    old.write_text(json.dumps(manifest))
    store = tmp_path / "store.db"
    result = _run({**_env(anvil, deployment, store), "COOPLEDGER_MANIFEST": str(old)}, "--once")
    assert result.returncode == 2
    assert "The manifest does not describe enum Kind" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert not store.exists(), "nothing written to the store"


def test_a_store_of_another_chain_is_named(anvil: Anvil, deployment: Deployment, tmp_path: Path) -> None:
    store = tmp_path / "store.db"
    assert _run(_env(anvil, deployment, store), "--once").returncode == 0
    with sqlite3.connect(store) as connection:  # as if the store had been filled from chain 4242
        connection.execute("UPDATE deployment SET chain_id = 4242")
    result = _run(_env(anvil, deployment, store), "--once")
    assert result.returncode == 2
    assert "This store holds the events of chain 4242" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


def test_a_store_that_cannot_be_opened_is_named(anvil: Anvil, deployment: Deployment, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = _run(_env(anvil, deployment, blocker / "store.db"), "--once")
    assert result.returncode == 2
    assert "Cannot open the event store" in " ".join(result.stderr.split())


def test_sigterm_stops_the_indexer_cleanly_and_a_second_run_finds_nothing_new(
    anvil: Anvil, deployment: Deployment, tmp_path: Path
) -> None:
    """What a service manager's stop does (SIGTERM): exit 0, saying where the store stands; and a later run on
    an up-to-date store says so instead of an empty block range."""
    make_activity(deployment, rounds=1)
    store, output = tmp_path / "store.db", tmp_path / "indexer.out"
    env = _env(anvil, deployment, store, COOPLEDGER_POLL_INTERVAL="0.2")
    with output.open("wb") as sink:
        indexer = subprocess.Popen([str(COOPLEDGER), "index"], env=env, stdout=sink, stderr=sink)
    try:
        head = anvil.w3.eth.block_number
        _wait_for(lambda: _checkpoint(store) >= head, "the backfill")
        _wait_for(lambda: "following" in output.read_text(), "the indexer to follow the head")
        indexer.send_signal(signal.SIGTERM)
        assert indexer.wait(timeout=30) == 0, output.read_text()
    finally:
        if indexer.poll() is None:
            indexer.kill()
    assert f"stopped; the store is complete up to block {head}" in output.read_text()

    again = _run(env, "--once")
    assert again.returncode == 0, again.stderr
    assert f"the store is up to date at block {head}: nothing new to index" in again.stdout


def test_audit_verify_checks_every_block_and_lists_what_was_tampered_with(
    anvil: Anvil, deployment: Deployment, tmp_path: Path
) -> None:
    make_activity(deployment, rounds=2)
    store = tmp_path / "store.db"
    env = _env(anvil, deployment, store)
    assert _run(env, "--once").returncode == 0
    verify = [str(COOPLEDGER), "audit", "verify", "--range-blocks", "3"]
    intact = subprocess.run(verify, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert intact.returncode == 0, intact.stderr
    assert "0 disagreements" in intact.stdout

    with sqlite3.connect(store) as connection:
        tx_hash, log_index = connection.execute(
            "SELECT tx_hash, log_index FROM events WHERE event = 'Withdrawn' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        connection.execute("DELETE FROM events WHERE tx_hash = ? AND log_index = ?", (tx_hash, log_index))
    tampered = subprocess.run(
        [*verify, "--range-blocks", "1000"],
        env={**env, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert tampered.returncode == 1
    assert "1 disagreement\n" in tampered.stdout
    assert tx_hash in tampered.stdout
    assert "on the chain but not in the store" in tampered.stdout
