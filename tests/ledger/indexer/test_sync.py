"""The indexer against a real anvil: the store mirrors the chain's logs exactly, across re-runs and reorgs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3.types import RPCEndpoint

from ledger.exceptions import ChainError, ManifestError, RangeTooLargeError
from ledger.indexer import sync as indexer_module
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer, _block_slices, verify_deployment
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from ledger.store.schema import PROJECTION_TABLES
from tests.ledger.chain_fixtures import Anvil, Deployment, chain_log_keys, make_activity


def _indexer(
    anvil: Anvil, deployment: Deployment, store: Store, reader: ChainReader | None = None, **options: Any
) -> Indexer:
    return Indexer(
        reader or ChainReader(anvil.url), store, load_manifest(deployment.manifest_path), **options
    )


def _stored_keys(store: Store) -> list[tuple[str, int]]:
    return _stored_keys_of(store.event_rows())


def _stored_keys_of(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(row["tx_hash"], row["log_index"]) for row in rows]


def _addresses(deployment: Deployment) -> list[str]:
    return [contract.address for contract in deployment.contracts.values() if contract is not None]


@pytest.fixture
def store(store_url: str) -> Any:
    """A new store, on SQLite and on PostgreSQL."""
    with Store.open(store_url) as opened:
        yield opened


def test_backfill_stores_exactly_the_chains_logs(anvil: Anvil, deployment: Deployment, store: Store) -> None:
    make_activity(deployment, rounds=3)
    report = _indexer(anvil, deployment, store).sync()
    chain_keys = chain_log_keys(anvil.url, _addresses(deployment))
    assert _stored_keys(store) == chain_keys
    assert report.events == len(chain_keys) > 40
    assert report.undecoded == 0
    names = {row["event"] for row in store.event_rows()}
    assert {
        "MemberAdmitted",
        "AgreementProposed",
        "AgreementSigned",
        "RevenueDeposited",
        "Withdrawn",
    } <= names
    assert {"ProgramCreated", "ReferralRecorded", "ConversionConfirmed", "RewardClaimed", "Transfer"} <= names
    checkpoint = store.checkpoint()
    assert checkpoint is not None
    assert checkpoint.block_number == anvil.w3.eth.block_number


def test_a_backfill_read_in_a_child_process_stores_what_one_read_here_does(
    anvil: Anvil, deployment: Deployment, tmp_path: Path
) -> None:
    make_activity(deployment, rounds=3)
    stores = {}
    for prefetch in (True, False):
        with Store.open(f"sqlite:///{tmp_path}/{prefetch}.db") as store:
            report = _indexer(anvil, deployment, store, batch_blocks=2, prefetch=prefetch).sync()
            tables = {table: store.projection_rows(table) for table in PROJECTION_TABLES}
            stores[prefetch] = (report.events, store.event_rows(), tables, store.checkpoint())
    assert stores[True] == stores[False]
    assert _stored_keys_of(stores[True][1]) == chain_log_keys(anvil.url, _addresses(deployment))
    assert stores[True][2]["members"], "projections were folded"
    assert stores[True][2]["agreements"], "projections were folded"


def test_a_range_is_committed_in_slices_that_never_split_a_block(
    anvil: Anvil, deployment: Deployment, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_activity(deployment, rounds=3)
    monkeypatch.setattr(indexer_module, "SLICE_LOGS", 4)
    addresses = _addresses(deployment)
    head = anvil.w3.eth.block_number
    commits: list[tuple[int, list[tuple[str, int]]]] = []

    def after_each_commit(block: int, target: int, events: int) -> None:
        commits.append((block, _stored_keys(store)))

    _indexer(anvil, deployment, store, batch_blocks=head + 1, prefetch=False).sync(after_each_commit)
    assert len(commits) > 5, "one range, committed in several slices"
    for block, stored in commits:  # had the indexer been killed here, the store would be whole up to block
        assert stored == chain_log_keys(anvil.url, addresses, to_block=block)
    assert commits[-1][0] == head
    assert commits[-1][1] == chain_log_keys(anvil.url, addresses)


def _log_at(block: int) -> dict[str, Any]:
    return {"blockNumber": hex(block)}


def test_slices_cut_at_block_boundaries_near_the_size_asked() -> None:
    logs = [_log_at(block) for block in (1, 1, 2, 2, 2, 2, 3, 5, 5, 5)]
    pieces = list(_block_slices(logs, 3, end=9))
    assert [[int(log["blockNumber"], 16) for log in piece] for piece, _ in pieces] == [
        [1, 1, 2, 2, 2, 2],
        [3, 5, 5, 5],
    ]
    assert [last for _, last in pieces] == [2, 9], "each ends at its last block, the last at the end"
    assert list(_block_slices(logs[:3], 5, end=4)) == [(logs[:3], 4)], "a small range is one piece"
    assert list(_block_slices([], 5, end=4)) == [([], 4)], "an empty range still moves the checkpoint"
    one_block = [_log_at(7)] * 10
    assert list(_block_slices(one_block, 3, end=8)) == [(one_block, 8)], "a block is never split"


def test_decoded_arguments_match_the_chain(anvil: Anvil, deployment: Deployment, store: Store) -> None:
    make_activity(deployment, rounds=1)
    _indexer(anvil, deployment, store).sync()
    deposits = [row for row in store.event_rows() if row["event"] == "RevenueDeposited"]
    assert [row["args"]["amount"] for row in deposits] == [10**18, 2 * 10**18 + 7]
    assert deposits[0]["args"]["contributor"] == deployment.accounts[9]
    assert deposits[0]["contract"] == "Agreements"


def test_a_second_sync_adds_only_the_new_blocks(anvil: Anvil, deployment: Deployment, store: Store) -> None:
    make_activity(deployment, rounds=1)
    indexer = _indexer(anvil, deployment, store)
    first = indexer.sync()
    assert indexer.sync().events == 0, "nothing new, nothing stored"
    make_activity(deployment, rounds=1, tag="b")
    second = indexer.sync()
    assert second.from_block == first.to_block + 1
    assert _stored_keys(store) == chain_log_keys(anvil.url, _addresses(deployment))


class _PickyReader(ChainReader):
    """A node that refuses eth_getLogs ranges longer than ``limit`` blocks, as hosted nodes do."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(url)
        self.limit = limit
        self.ranges: list[tuple[int, int]] = []

    def logs(self, addresses: Any, from_block: int, to_block: int) -> list[dict[str, Any]]:
        self.ranges.append((from_block, to_block))
        if to_block - from_block + 1 > self.limit:
            raise RangeTooLargeError("query returned more than 10000 results")
        return super().logs(addresses, from_block, to_block)


def test_ranges_shrink_when_the_node_refuses_them(anvil: Anvil, deployment: Deployment, store: Store) -> None:
    make_activity(deployment, rounds=2)
    reader = _PickyReader(anvil.url, limit=4)
    _indexer(anvil, deployment, store, reader=reader, batch_blocks=64, prefetch=False).sync()  # reads here
    assert _stored_keys(store) == chain_log_keys(anvil.url, _addresses(deployment))
    accepted = [(a, b) for a, b in reader.ranges if b - a + 1 <= 4]
    assert accepted, "it settled on ranges the node accepts"
    assert any(b - a + 1 > 4 for a, b in reader.ranges), "it tried larger ranges first"


def test_a_reorg_is_rolled_back_and_the_new_branch_indexed(
    anvil: Anvil, deployment: Deployment, store: Store
) -> None:
    make_activity(deployment, rounds=1)
    snapshot = anvil.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    make_activity(deployment, rounds=1, tag="old")
    indexer = _indexer(anvil, deployment, store)
    indexer.sync()
    orphaned = set(_stored_keys(store))
    anvil.w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot])
    make_activity(deployment, rounds=2, tag="new")
    report = indexer.sync()
    canonical = chain_log_keys(anvil.url, _addresses(deployment))
    assert report.rolled_back_events > 0
    assert _stored_keys(store) == canonical
    assert orphaned - set(canonical), "the old branch really had other logs"


def test_a_manifest_for_another_chain_is_refused(anvil: Anvil, deployment: Deployment, store: Store) -> None:
    data = json.loads(deployment.manifest_path.read_text())
    data["chain_id"] = 1
    deployment.manifest_path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=r"manifest is for chain 1 but .* is chain 31337"):
        verify_deployment(ChainReader(anvil.url), load_manifest(deployment.manifest_path))
    assert store.checkpoint() is None


def test_a_manifest_address_without_code_is_refused(
    anvil: Anvil, deployment: Deployment, store: Store
) -> None:
    data = json.loads(deployment.manifest_path.read_text())
    data["contracts"]["Agreements"]["address"] = "0x" + "12" * 20
    deployment.manifest_path.write_text(json.dumps(data))
    with pytest.raises(ManifestError, match=r"Agreements is at 0x1212.*no contract there"):
        verify_deployment(ChainReader(anvil.url), load_manifest(deployment.manifest_path))


def test_an_unreachable_node_is_a_clear_error() -> None:
    with pytest.raises(ChainError, match=r"The node at http://127.0.0.1:9 does not answer"):
        ChainReader("http://127.0.0.1:9", timeout=2).head()
