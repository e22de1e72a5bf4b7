"""The reports over a real scenario's graph agree with the store's projections (an independent fold)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.alerts import AlertThresholds
from ledger.analytics.metrics.referrals import referral_stats
from ledger.analytics.metrics.report import alerts_report, network_report, value_report
from ledger.analytics.metrics.views import Snapshot, snapshot
from ledger.indexer.chain import ChainReader
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Anvil, Deployment, make_lifecycle


def test_reports_at_the_head_and_in_the_past(anvil: Anvil, deployment: Deployment, tmp_path: Path) -> None:
    make_lifecycle(deployment)
    with Store.open(f"sqlite:///{tmp_path}/store.db") as store:
        Indexer(ChainReader(anvil.url), store, load_manifest(deployment.manifest_path)).sync()
        ledger = LedgerGraph(store.agreement_kinds())
        ledger.sync(store)
        members = store.projection_rows("members")
        referrals = store.projection_rows("referrals")
    head = ledger.block
    now = snapshot(ledger, head)
    network = network_report(now)
    staying = {row["address"] for row in members if row["status"] != "exited"}
    assert set(now.members) == staying
    assert network.members == len(staying)
    assert network.block == head
    assert sum(len(group) for group in network.communities.groups) == network.members

    latest = max(members, key=lambda row: row["joined_block"])
    before = snapshot(ledger, latest["joined_block"] - 1)
    assert latest["address"] in now.members
    assert latest["address"] not in before.members, "as of an earlier block, not yet a member"
    assert network_report(before).ties <= network.ties

    values = value_report(now)
    assert values, "value moved in the scenario"
    token = values[0]
    edges = [data for _, _, data in now.graph.edges(data=True) if data["kind"] == "value"]
    assert token.total == sum(data["amount"] for data in edges if data["asset"] == token.asset)
    assert sum(flow.received for flow in token.members.values()) <= token.total

    confirmed = [row for row in referrals if row["status"] in ("confirmed", "claimed")]
    summary = referral_stats(now.graph)
    assert summary.total.referrals == len(referrals)
    assert summary.total.conversions == len(confirmed)

    alerts = alerts_report(now, network, values, AlertThresholds())
    failures = {alert.subject for alert in alerts if alert.kind == "single_point_of_failure"}
    assert failures == set(network.articulation_points)


@pytest.mark.parametrize("members", [0, 2], ids=["no members", "members without ties"])
def test_every_report_answers_for_a_network_without_ties(members: int) -> None:
    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    profiles = {f"m{i}": {"name": "", "sector": "bakery", "region": "north"} for i in range(members)}
    ties: nx.Graph[str] = nx.Graph()
    ties.add_nodes_from(profiles.items())
    now = Snapshot(0, graph, profiles, ties)
    network = network_report(now)
    assert network.members == members
    assert network.ties == 0
    assert network.density == 0
    assert network.constraint == dict.fromkeys(profiles)
    assert network.isolated == sorted(profiles)
    values = value_report(now)
    assert values == []
    assert alerts_report(now, network, values, AlertThresholds()) == []
