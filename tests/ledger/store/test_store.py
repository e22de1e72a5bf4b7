"""The event store: migrated on open, ranges written atomically and idempotently, reorgs rolled back."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from ledger.exceptions import StoreError, StoreUnavailableError
from ledger.indexer.decoding import DecodedEvent, LogPosition, UndecodedLog
from ledger.settings import SettingsError, load_settings
from ledger.store import Store
from ledger.types import BlockHeader, Checkpoint
from scripts.toolchain.postgres import Postgres

CHAIN = 31337
ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def header(number: int, fork: str = "a") -> BlockHeader:
    return BlockHeader(number, f"0x{fork}{number:063x}", f"0x{fork}{number - 1:063x}", 1_700_000_000 + number)


def event(number: int, log_index: int, fork: str = "a", amount: int = 10**30) -> DecodedEvent:
    position = LogPosition(
        number, header(number, fork).hash, f"0x{fork}{number:031x}{log_index:032x}", 0, log_index
    )
    return DecodedEvent("Agreements", ADDRESS, "RevenueDeposited", {"id": 1, "amount": amount}, position)


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A new store, on SQLite and on PostgreSQL."""
    with Store.open(store_url) as opened:
        yield opened


def test_open_creates_the_schema_and_an_empty_store(store: Store, store_url: str) -> None:
    tables = set(inspect(create_engine(store_url)).get_table_names())
    assert {"blocks", "events", "undecoded_logs", "checkpoint", "alembic_version", "assets"} <= tables
    assert store.checkpoint() is None
    assert store.event_count() == 0


def test_a_sqlite_store_creates_its_folder(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path}/nested/store.db"):
        assert (tmp_path / "nested" / "store.db").exists()


def test_reopening_keeps_the_data_and_the_schema_version(store_url: str) -> None:
    url = store_url
    with Store.open(url) as first:
        first.commit_range(CHAIN, [header(5)], [event(5, 0)], [], header(9))
    with Store.open(url) as again:
        assert again.event_count() == 1
        assert again.checkpoint() == Checkpoint(CHAIN, 9, header(9).hash)


def test_a_range_is_stored_with_its_checkpoint(store: Store) -> None:
    undecoded = UndecodedLog(
        ADDRESS,
        ("0x" + "00" * 32,),
        "0x",
        "no such event",
        LogPosition(6, header(6).hash, "0x" + "ee" * 32, 1, 3),
    )
    store.commit_range(
        CHAIN, [header(5), header(6)], [event(5, 0), event(5, 1), event(6, 0)], [undecoded], header(8)
    )
    assert store.checkpoint() == Checkpoint(CHAIN, 8, header(8).hash)
    rows = store.event_rows()
    assert [(row["block_number"], row["log_index"]) for row in rows] == [(5, 0), (5, 1), (6, 0)]
    assert rows[0]["args"] == {"id": 1, "amount": 10**30}, "amounts beyond 64 bits survive"
    assert store.undecoded_rows()[0]["reason"] == "no such event"
    assert [block.number for block in store.stored_blocks(100)] == [8, 6, 5]


def test_an_event_records_every_address_among_its_arguments_as_its_parties(store: Store) -> None:
    upper, lower = "0xAbC0000000000000000000000000000000000001", "0x00000000000000000000000000000000000000ff"
    item = DecodedEvent(
        "Agreements",
        ADDRESS,
        "AgreementProposed",
        {"id": 1, "lead": upper, "parties": [upper, lower], "termsHash": "0x" + "ab" * 32},
        LogPosition(5, header(5).hash, "0x" + "cc" * 32, 0, 0),
    )
    store.commit_range(CHAIN, [header(5)], [item, event(5, 1)], [], header(5))
    first, second = store.event_rows()
    assert first["parties"] == f"|{lower}|{upper.lower()}|", "lower-case, sorted, once each; no bytes32"
    assert second["parties"] == "", "an event without addresses has none"


def test_writing_a_range_twice_stores_nothing_twice(store: Store) -> None:
    for _ in range(2):
        store.commit_range(CHAIN, [header(5)], [event(5, 0), event(5, 1)], [], header(7))
    assert store.event_count() == 2


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    store.commit_range(CHAIN, [header(5)], [event(5, 0)], [], header(5))
    broken = event(7, 0)
    orphan = DecodedEvent(broken.contract, broken.address, broken.event, {"x": object()}, broken.position)
    with pytest.raises(StoreError, match=r"range up to block 7 failed .*nothing of it was stored"):
        store.commit_range(CHAIN, [header(6), header(7)], [event(6, 0), orphan], [], header(7))
    assert store.event_count() == 1, "the range's other rows were not written"
    assert store.checkpoint() == Checkpoint(CHAIN, 5, header(5).hash), "the checkpoint did not move"
    assert [block.number for block in store.stored_blocks(100)] == [5]


def test_rollback_deletes_everything_above_the_fork_point(store: Store) -> None:
    store.commit_range(
        CHAIN, [header(n) for n in range(5, 10)], [event(n, 0) for n in range(5, 10)], [], header(10)
    )
    deleted = store.rollback_to(header(7), CHAIN)
    assert deleted == 2
    assert [row["block_number"] for row in store.event_rows()] == [5, 6, 7]
    assert store.checkpoint() == Checkpoint(CHAIN, 7, header(7).hash)
    assert [block.number for block in store.stored_blocks(100)] == [7, 6, 5]
    store.commit_range(CHAIN, [header(8, "b")], [event(8, 0, "b", amount=5)], [], header(9, "b"))
    assert store.event_rows()[-1]["args"]["amount"] == 5


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match=r"Cannot open the event store sqlite:///.*COOPLEDGER_STORE_URL"):
        Store.open(f"sqlite:///{blocker}/store.db")


def test_a_database_that_is_not_sqlite_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not a database" * 100)
    with pytest.raises(StoreError, match="file is not a database"):
        Store.open(f"sqlite:///{bogus}")


def test_sqlite_store_uses_write_ahead_logging(tmp_path: Path) -> None:
    Store.open(f"sqlite:///{tmp_path}/nested/store.db").close()
    engine = create_engine(f"sqlite:///{tmp_path}/nested/store.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def _open_when_all_are_ready(url: str, start: Any, outcomes: Any) -> None:
    start.wait()
    try:
        Store.open(url).close()
        outcomes.put("opened")
    except StoreError as exc:
        outcomes.put(str(exc))


def test_processes_opening_a_new_store_at_once_take_turns_migrating(store_url: str) -> None:
    """Four processes open one new database at the same moment (the indexer and API replicas starting
    together): each opens it, none fails on another's half-made schema."""
    context = multiprocessing.get_context("fork")
    start, outcomes = context.Barrier(4), context.Queue()
    openers = [
        context.Process(target=_open_when_all_are_ready, args=(store_url, start, outcomes)) for _ in range(4)
    ]
    for opener in openers:
        opener.start()
    for opener in openers:
        opener.join(timeout=60)
    assert [outcomes.get(timeout=5) for _ in openers] == ["opened"] * 4
    with Store.open(store_url) as store:
        assert store.event_count() == 0


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+nosuchdriver://alice:s3cret@127.0.0.1:1/coop",
        "postgresql://alice:s3cret@127.0.0.1:1/coop",
    ],
)
def test_a_store_that_cannot_be_opened_never_shows_its_password(url: str) -> None:
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    message = str(raised.value)
    assert "s3cret" not in message
    assert "alice:***@127.0.0.1:1/coop" in message
    assert "COOPLEDGER_STORE_URL" in message


def test_an_invalid_store_url_setting_never_shows_its_password() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(environ={"COOPLEDGER_STORE_URL": "postgres://alice:s3cret@db.example/coop"})
    message = str(raised.value)
    assert "s3cret" not in message
    assert "postgres://alice:***@db.example/coop" in message


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda url: url.rsplit("/", 1)[0] + "/nosuchdb", 'database "nosuchdb" does not exist'),
        (lambda url: url.replace("://postgres@", "://nobody@"), 'role "nobody" does not exist'),
    ],
)
def test_a_postgresql_that_refuses_the_url_is_a_wrong_setting_not_an_outage(
    postgres: Postgres, change: Callable[[str], str], refusal: str
) -> None:
    """The indexer waits out a database that does not answer; one that answers "no" is told at once."""
    url = change(postgres.new_database("refusing"))
    with pytest.raises(StoreError) as raised:
        Store.open(url)
    assert not isinstance(raised.value, StoreUnavailableError), "no wait mends a wrong URL"
    message = str(raised.value)
    assert f"the server refused the connection: {refusal}" in message
    assert "does not answer" not in message
    assert "Check COOPLEDGER_STORE_URL" in message
