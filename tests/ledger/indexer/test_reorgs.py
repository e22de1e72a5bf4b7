"""Reorganisations at depths 1, 5 and 20: store, projections and graph end equal to a clean index."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import networkx as nx
import pytest
from web3.types import RPCEndpoint

from ledger.analytics.graph import LedgerGraph
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from ledger.store.schema import PROJECTION_TABLES
from tests.ledger.chain_fixtures import Anvil, Deployment, make_activity


@pytest.fixture
def stores(new_store_url: Callable[[str], str]) -> Iterator[tuple[Store, Store]]:
    """A store that follows the reorganised chain and one indexed afresh, on SQLite and on PostgreSQL."""
    with (
        Store.open(new_store_url("live")) as live,
        Store.open(new_store_url("clean")) as clean,
    ):
        yield live, clean


def _deposits(deployment: Deployment, blocks: int, amount: int) -> None:
    """``blocks`` blocks, each with one deposit of ``amount`` (plus its token transfer) into agreement 1."""
    token = deployment.contracts["MockERC20"].address
    for offset in range(blocks):
        deployment.transact("Agreements", "deposit", 1, token, amount + offset, sender=9)


def _projections(store: Store) -> dict[str, list[dict[str, object]]]:
    return {table: store.projection_rows(table) for table in PROJECTION_TABLES}


def _edge_transactions(graph: LedgerGraph) -> set[str]:
    return {data["tx_hash"] for *_, data in graph.graph.edges(data=True)}


def _rows(store: Store) -> list[tuple[object, ...]]:
    return [
        (row["block_number"], row["block_hash"], row["tx_hash"], row["log_index"], row["event"], row["args"])
        for row in store.event_rows()
    ]


@pytest.mark.parametrize("depth", [1, 5, 20])
def test_store_follows_the_canonical_branch(
    anvil: Anvil, deployment: Deployment, stores: tuple[Store, Store], depth: int
) -> None:
    live, clean = stores
    make_activity(deployment, rounds=1)
    manifest = load_manifest(deployment.manifest_path)
    indexer = Indexer(ChainReader(anvil.url), live, manifest)
    indexer.sync()
    graph = LedgerGraph(live.agreement_kinds())
    graph.sync(live)

    fork_base = anvil.w3.eth.block_number
    snapshot = anvil.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    _deposits(deployment, depth, amount=1_000)  # the branch that will be abandoned
    indexer.sync()
    assert graph.sync(live) == depth, "each deposit's RevenueDeposited (its token transfer is not read)"
    abandoned = {row["tx_hash"] for row in live.event_rows() if row["block_number"] > fork_base}
    assert len(abandoned) == depth
    assert abandoned <= _edge_transactions(graph)

    anvil.w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot])
    _deposits(deployment, depth + 1, amount=7_777)  # different transactions, one block longer
    report = indexer.sync()
    assert report.rolled_back_events == 2 * depth  # a deposit and its token transfer per abandoned block

    Indexer(ChainReader(anvil.url), clean, manifest).sync()
    assert _rows(live) == _rows(clean)
    assert not abandoned & {row[2] for row in _rows(live)}
    assert live.checkpoint() == clean.checkpoint()
    assert _projections(live) == _projections(clean)

    graph.sync(live)
    canonical = LedgerGraph(clean.agreement_kinds())
    canonical.sync(clean)
    assert nx.utils.graphs_equal(graph.graph, canonical.graph)
    assert not abandoned & _edge_transactions(graph)
