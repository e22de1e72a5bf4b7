"""The full verification of a store against the chain, range by range: every altered, missing or extra event
found wherever it is, a range's digests compared before its events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from ledger.analytics.audit import RangeChecked, verify_everything
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import EventDecoder
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store, queries
from tests.ledger.chain_fixtures import Anvil, Deployment, make_activity


@pytest.fixture
def indexed(anvil: Anvil, deployment: Deployment, tmp_path: Path) -> Iterator[Store]:
    make_activity(deployment, rounds=4)
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        yield store


def _check(anvil: Anvil, deployment: Deployment, store: Store, ranges: list[RangeChecked]) -> Any:
    manifest = load_manifest(deployment.manifest_path)
    checkpoint = store.checkpoint()
    assert checkpoint is not None

    def stored_between(first: int, last: int) -> list[dict[str, Any]]:
        with store.reading() as connection:
            return list(
                queries.events_up_to(connection, queries.EventFilter(from_block=first, to_block=last))
            )

    return verify_everything(
        ChainReader(anvil.url),
        EventDecoder(manifest),
        stored_between,
        manifest.start_block,
        checkpoint.block_number,
        range_blocks=4,
        on_range=ranges.append,
    )


def test_an_intact_store_agrees_range_by_range(anvil: Anvil, deployment: Deployment, indexed: Store) -> None:
    ranges: list[RangeChecked] = []
    found = _check(anvil, deployment, indexed, ranges)
    assert found.mismatches == []
    assert found.compared == indexed.event_count()
    assert len(ranges) > 5, "the chain was checked in many ranges"
    assert all(item.agreed and item.stored == item.on_chain for item in ranges)
    assert [item.first for item in ranges] == list(range(ranges[0].first, ranges[-1].last + 1, 4))


def test_every_tampered_event_is_found_and_only_its_range_is_compared_event_by_event(
    anvil: Anvil, deployment: Deployment, indexed: Store, tmp_path: Path
) -> None:
    with indexed.reading() as connection:
        rows = connection.execute(
            text("SELECT id, tx_hash, log_index, block_number FROM events ORDER BY id")
        ).all()
    first, last = rows[1], rows[-1]  # one near the start, one at the end: far apart, in different ranges
    tamperer = create_engine(f"sqlite:///{tmp_path}/store.db")  # somebody with write access to the database
    with tamperer.begin() as connection:
        connection.execute(
            text("UPDATE events SET args = json_set(args, '$.x', 1) WHERE id = :id"), {"id": first.id}
        )
        connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": last.id})
    ranges: list[RangeChecked] = []
    found = _check(anvil, deployment, indexed, ranges)
    problems = {(item.tx_hash, item.log_index): item.problem for item in found.mismatches}
    assert problems == {
        (first.tx_hash, first.log_index): "differs in args",
        (last.tx_hash, last.log_index): "on the chain but not in the store",
    }
    disagreeing = [(item.first, item.last) for item in ranges if not item.agreed]
    assert len(disagreeing) == 2
    assert all(
        lo <= block <= hi
        for (lo, hi), block in zip(disagreeing, (first.block_number, last.block_number), strict=True)
    )
