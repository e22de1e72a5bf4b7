"""Following the head: new blocks are picked up; a node outage is waited out with backoff, without loss."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console

from ledger.exceptions import ChainError
from ledger.indexer.chain import ChainReader
from ledger.indexer.follow import MAX_BACKOFF, backfill, follow
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from scripts.toolchain.postgres import Postgres
from tests.ledger.chain_fixtures import Anvil, Deployment, chain_log_keys, make_activity


class _FlakyReader(ChainReader):
    """A node that is down while ``down`` is true."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.down = False

    def _call(self, method: str, params: Any) -> Any:
        if self.down:
            raise ChainError(f"The node at {self.rpc_url} does not answer (ConnectionError).")
        return super()._call(method, params)

    def headers(self, numbers: Any) -> Any:
        if self.down:
            raise ChainError(f"The node at {self.rpc_url} does not answer (ConnectionError).")
        return super().headers(numbers)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A new store, on SQLite and on PostgreSQL."""
    with Store.open(store_url) as opened:
        yield opened


def test_follow_waits_out_an_outage_and_resumes_without_loss(
    anvil: Anvil, deployment: Deployment, store: Store
) -> None:
    reader = _FlakyReader(anvil.url)
    indexer = Indexer(reader, store, load_manifest(deployment.manifest_path))
    output = io.StringIO()
    sleeps: list[float] = []
    script = iter(["activity", "down", "down", "down", "down", "up-with-activity", "stop"])
    step = {"now": ""}

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        step["now"] = next(script)
        if step["now"] == "activity":
            make_activity(deployment, rounds=1)
        elif step["now"] == "down":
            reader.down = True
        elif step["now"] == "up-with-activity":
            reader.down = False
            make_activity(deployment, rounds=1, tag="later")

    follow(
        indexer,
        Console(file=output, width=200),
        poll_interval=0.5,
        sleep=sleep,
        stop=lambda: step["now"] == "stop",
    )
    text = output.getvalue()
    assert text.count("waiting for the node:") == 1, "announced once, not at every retry"
    assert "retrying in 4 s" in text, "the status line shows the backoff"
    assert "node is back" in text
    # polls, then retries at 0.5, 1, 2, 4 s while the node is down, then polls again at 0.5 s once it is back
    assert sleeps == [0.5, 0.5, 0.5, 1.0, 2.0, 4.0, 0.5]
    assert max(sleeps) <= MAX_BACKOFF
    addresses = [contract.address for contract in deployment.contracts.values()]
    assert [(row["tx_hash"], row["log_index"]) for row in store.event_rows()] == chain_log_keys(
        anvil.url, addresses
    )


def test_follow_waits_out_a_database_restart_and_loses_nothing(
    anvil: Anvil, deployment: Deployment, own_postgres: Postgres
) -> None:
    with Store.open(own_postgres.new_database()) as store:
        indexer = Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path))
        output = io.StringIO()
        sleeps: list[float] = []
        script = iter(["activity", "database-down", "down", "database-up-with-activity", "stop"])
        step = {"now": ""}

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            step["now"] = next(script)
            if step["now"] == "activity":
                make_activity(deployment, rounds=1)
            elif step["now"] == "database-down":
                own_postgres.halt()
                make_activity(deployment, rounds=1, tag="while-down")
            elif step["now"] == "database-up-with-activity":
                own_postgres.resume()
                make_activity(deployment, rounds=1, tag="later")

        follow(
            indexer,
            Console(file=output, width=300),
            poll_interval=0.5,
            sleep=sleep,
            stop=lambda: step["now"] == "stop",
        )
        text = output.getvalue()
        assert text.count("waiting for the store:") == 1, "announced once, not at every retry"
        assert "does not answer" in text
        assert "the store is back" in text
        assert sleeps == [0.5, 0.5, 0.5, 1.0, 0.5], "retries back off while the store is down"
        stored = [(row["tx_hash"], row["log_index"]) for row in store.event_rows()]
        addresses = [contract.address for contract in deployment.contracts.values()]
        assert stored == chain_log_keys(anvil.url, addresses), "nothing lost, nothing twice"


def test_a_node_gone_during_the_backfill_is_waited_out_when_following(
    anvil: Anvil, deployment: Deployment, store: Store
) -> None:
    """The node stops answering before the backfill is done: an indexer that goes on to follow waits it out
    (and the store ends complete); one run with --once stops with the error instead."""
    make_activity(deployment, rounds=1)
    reader = _FlakyReader(anvil.url)
    reader.down = True
    indexer = Indexer(reader, store, load_manifest(deployment.manifest_path))
    output = io.StringIO()
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        reader.down = len(sleeps) < 3  # back after the third wait

    with pytest.raises(ChainError):
        backfill(indexer, Console(file=output, width=200), wait_out_outages=False, sleep=sleep)
    report = backfill(
        indexer, Console(file=output, width=200), wait_out_outages=True, retry_after=0.5, sleep=sleep
    )
    text = output.getvalue()
    assert text.count("waiting for the node:") == 1
    assert "node is back" in text
    assert sleeps == [0.5, 1.0, 2.0]
    assert report.to_block == anvil.w3.eth.block_number
    addresses = [contract.address for contract in deployment.contracts.values()]
    assert [(row["tx_hash"], row["log_index"]) for row in store.event_rows()] == chain_log_keys(
        anvil.url, addresses
    ), "nothing lost, nothing twice"
