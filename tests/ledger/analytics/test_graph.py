"""The graph: built incrementally from the store, equal to a rebuild, exact value edges, as-of views."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.analytics.graph import LedgerGraph, attribute_release, status_at
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Anvil, Deployment, make_lifecycle


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path}/store.db") as opened:
        yield opened


@pytest.fixture
def incremental(anvil: Anvil, deployment: Deployment, store: Store) -> LedgerGraph:
    """The lifecycle scenario's graph, synced from the store after every range the indexer commits."""
    make_lifecycle(deployment)
    graph = LedgerGraph(load_manifest(deployment.manifest_path).contracts["Agreements"].enum_labels("Kind"))
    indexer = Indexer(
        ChainReader(anvil.url),
        store,
        load_manifest(deployment.manifest_path),
        batch_blocks=2,
        max_batch_blocks=2,
    )
    syncs: list[int] = []
    indexer.sync(on_progress=lambda *_: syncs.append(graph.sync(store)))
    assert len([applied for applied in syncs if applied]) > 10, "the graph grew in many steps"
    return graph


def _value(graph: nx.MultiDiGraph[str], u: str, v: str) -> int:
    edges = graph.get_edge_data(u, v) or {}
    return sum(data["amount"] for data in edges.values() if data["kind"] == "value")


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=10**30), min_size=1, max_size=8),
    shares=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=8),
)
def test_a_release_is_attributed_exactly(amounts: list[int], shares: list[int]) -> None:
    total = sum(amounts)
    weights = sum(shares)
    credits = {f"p{i}": total * share // weights for i, share in enumerate(shares)}
    credits["p0"] += total - sum(credits.values())
    contributions = [(f"c{i}", amount) for i, amount in enumerate(amounts)]
    parts = attribute_release(contributions, credits)
    assert all(amount > 0 for _, _, amount in parts)
    for index, (_, amount) in enumerate(contributions):
        assert sum(part for i, _, part in parts if i == index) == amount
    for party, credit in credits.items():
        assert sum(part for _, p, part in parts if p == party) == credit


def test_the_incremental_graph_equals_a_rebuild_from_the_store(
    incremental: LedgerGraph, store: Store
) -> None:
    checkpoint = store.checkpoint()
    assert checkpoint is not None
    rebuilt = LedgerGraph.from_events(
        store.events_between(-1, checkpoint.block_number), store.agreement_kinds()
    )
    assert nx.utils.graphs_equal(incremental.graph, rebuilt.graph)
    assert list(incremental.graph.nodes(data=True)) == list(rebuilt.graph.nodes(data=True))
    assert incremental.graph.number_of_edges() > 20


def test_value_edges_carry_exactly_what_each_party_was_credited(
    incremental: LedgerGraph, deployment: Deployment, store: Store
) -> None:
    lead, partner, other = deployment.accounts[:3]
    outsider = deployment.accounts[9]
    graph = incremental.graph
    # Credits are shares of each share period's running total, rounded down once (ledger.protocol.sharing).
    # Period 1 (50/30/20 %): account 9 pays 1 000 003 (-> 500 001 / 300 000 / 200 000), the partner 20 011
    # (running total 1 020 014 -> +10 006 / +6 004 / +4 002); version 3 (30/40/30 %) opens with the dust, 1.
    # Account 9 pays 77 777 (total 77 778 -> 23 333 / 31 111 / 23 333); 30 001 of account 9 and 9 999 of the
    # partner are held and released together (40 000 -> 12 000 / 16 000 / 12 000, attributed back to the two
    # deposits); 12 345 of account 9 is held until termination (total 130 123 -> +3 703 / +4 938 / +3 703).
    assert _value(graph, outsider, lead) == 500_001 + 23_333 + 9_001 + 3_703
    assert _value(graph, outsider, partner) == 300_000 + 31_111 + 12_000 + 4_938
    assert _value(graph, outsider, other) == 200_000 + 23_333 + 9_000 + 3_703
    assert _value(graph, partner, lead) == 10_006 + 2_999
    assert _value(graph, partner, other) == 4_002 + 3_000
    assert not graph.has_edge(partner, partner), "a party's credit from its own deposit is not a flow"
    credited = {row["party"]: row["credited"] for row in store.projection_rows("agreement_parties")}
    own_share = {lead: 0, partner: 6_004 + 4_000, other: 0}
    for party in (lead, partner, other):
        received = sum(_value(graph, source, party) for source in graph.predecessors(party))
        assert received + own_share[party] == credited[party]


def test_agreement_referral_and_reward_edges(incremental: LedgerGraph, deployment: Deployment) -> None:
    graph = incremental.graph
    accounts = deployment.accounts
    co_parties = [(u, v) for u, v, data in graph.edges(data=True) if data["kind"] == "agreement"]
    assert sorted(co_parties) == sorted((u, v) for u in accounts[:3] for v in accounts[:3] if u != v)
    assert {data["agreement_kind"] for *_, data in graph.edges(data=True) if data["kind"] == "agreement"} == {
        "resource_pooling"
    }
    sponsor, referrer = accounts[0], accounts[4]
    kinds = [data["kind"] for data in graph.get_edge_data(referrer, sponsor).values()]
    assert sorted(kinds) == ["conversion", "conversion", "referral", "referral", "referral"]
    rewards = [data["amount"] for data in graph.get_edge_data(sponsor, referrer).values()]
    conversions = [
        data for data in graph.get_edge_data(referrer, sponsor).values() if data["kind"] == "conversion"
    ]
    assert sorted(rewards) == sorted(data["reward"] for data in conversions)
    assert all(
        data["block"] > 0 and data["timestamp"] > 0 and data["tx_hash"].startswith("0x")
        for *_, data in graph.edges(data=True)
    )


def test_members_carry_their_profile_and_status_history(
    incremental: LedgerGraph, deployment: Deployment
) -> None:
    nodes = incremental.graph.nodes
    newcomer = nodes[deployment.accounts[7]]
    assert (newcomer["name"], newcomer["sector"], newcomer["region"]) == (
        "Newcomer Plumbing",
        "plumbing",
        "south",
    )
    assert [status for _, status in newcomer["status_history"]] == ["active", "suspended"]
    assert nodes[deployment.accounts[5]]["status"] == "exited"
    outsider = nodes[deployment.accounts[9]]
    assert (outsider["member"], outsider["status"]) == (False, "external")


def test_as_of_a_block_is_the_graph_at_that_height(incremental: LedgerGraph, deployment: Deployment) -> None:
    graph = incremental.graph
    newcomer = deployment.accounts[7]
    admitted, suspended = (block for block, _ in graph.nodes[newcomer]["status_history"])
    before = incremental.as_of(admitted - 1)
    assert newcomer not in before
    assert before.number_of_nodes() == 6
    assert newcomer in incremental.as_of(admitted)
    assert status_at(graph.nodes[newcomer], admitted) == "active"
    assert status_at(graph.nodes[newcomer], suspended) == "suspended"
    heights = sorted({data["block"] for *_, data in graph.edges(data=True)})
    sizes = [incremental.as_of(height).number_of_edges() for height in heights]
    assert sizes == sorted(sizes)
    assert sizes[-1] == graph.number_of_edges()
    assert all(data["block"] <= heights[3] for *_, data in incremental.as_of(heights[3]).edges(data=True))
    with pytest.raises(nx.NetworkXError):
        incremental.as_of(heights[-1]).add_node("0xnew")  # a view, not a copy
