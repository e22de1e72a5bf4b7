"""/v1/metrics and /v1/alerts: the figures of the metrics layer at a height, cached per height."""

from __future__ import annotations

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.service import LedgerService
from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.alerts import AlertThresholds
from ledger.analytics.metrics.loyalty import loyalty
from ledger.analytics.metrics.report import alerts_report, network_report, value_report
from ledger.analytics.metrics.views import snapshot
from tests.api.conftest import Served, error_of


@pytest.fixture(scope="module")
def ledger(served: Served) -> LedgerGraph:
    with served.store() as store:
        graph = LedgerGraph(store.agreement_kinds())
        graph.sync(store)
    return graph


def _service(client: TestClient) -> LedgerService:
    service: LedgerService = client.app.state.service  # type: ignore[attr-defined]
    return service


def test_network_metrics_are_the_metrics_layers_at_the_head(ledger: LedgerGraph, client: TestClient) -> None:
    now = snapshot(ledger, ledger.block)
    expected = network_report(now)
    body = client.get("/v1/metrics/network?top=50").json()
    assert body["block"] == ledger.block
    assert body["members"] == 6, "5 founders left after one exit, and the suspended newcomer"
    assert body["density"] == pytest.approx(nx.density(now.ties))
    assert body["ties"] == now.ties.number_of_edges()
    assert {item["address"]: item["value"] for item in body["top_pagerank"]} == pytest.approx(
        expected.pagerank
    )
    assert body["betweenness"]["method"] == "exact"
    assert body["articulation_points"] == expected.articulation_points
    assert body["communities"]["count"] == len(expected.communities.groups)
    assert body["isolated"] == expected.isolated


def test_a_past_height_answers_for_that_block(ledger: LedgerGraph, client: TestClient) -> None:
    admitted = min(data["joined_block"] for _, data in ledger.graph.nodes(data=True) if data.get("member"))
    body = client.get(f"/v1/metrics/network?as_of_block={admitted}").json()
    assert body["block"] == admitted
    assert body["members"] == 6, "the six founders, before the newcomer and the exit"
    assert client.get(f"/v1/metrics/network?as_of_block={admitted - 1}").json()["members"] == 0


def test_figures_are_computed_once_per_height(client: TestClient) -> None:
    service = _service(client)
    client.get("/v1/metrics/network")
    computed = service.cache.computed
    for _ in range(3):
        assert client.get("/v1/metrics/network").status_code == 200
    assert service.cache.computed == computed, "the same height was not computed again"


def test_member_metrics(served: Served, ledger: LedgerGraph, client: TestClient) -> None:
    now = snapshot(ledger, ledger.block)
    expected = network_report(now)
    member = served.deployment.accounts[1]
    body = client.get(f"/v1/metrics/members/{member}").json()
    assert body["address"] == member
    assert body["degree"] == pytest.approx(expected.degree[member])
    assert body["community"] == expected.communities.membership[member]
    values = {report.asset: report.members[member] for report in value_report(now)}
    assert {flow["asset"]: flow["received"] for flow in body["value"]} == {
        asset: str(flow.received) for asset, flow in values.items()
    }
    exited = served.deployment.accounts[5]
    response = client.get(f"/v1/metrics/members/{exited}")
    assert response.status_code == 404, "a member that exited is not in the network"
    assert error_of(response)["parameter"] == "address"


def test_value_sharing_referrals_and_alerts(served: Served, ledger: LedgerGraph, client: TestClient) -> None:
    now = snapshot(ledger, ledger.block)
    values = value_report(now)
    body = client.get("/v1/metrics/value-sharing").json()
    assert [item["asset"] for item in body["assets"]] == [report.asset for report in values]
    assert body["assets"][0]["total"] == str(values[0].total)
    assert body["assets"][0]["gini_received"] == pytest.approx(values[0].gini_received)
    referrals = client.get("/v1/metrics/referrals").json()
    assert referrals["total"]["referrals"] == 3
    assert referrals["total"]["conversions"] == 2
    assert referrals["total"]["conversion_rate"] == pytest.approx(2 / 3)
    program = client.get(f"/v1/programs/{served.ids['program']}").json()
    assert sum(int(v) for v in referrals["total"]["rewards_paid"].values()) == int(program["paid"])
    alerts = client.get("/v1/alerts").json()
    expected = alerts_report(now, network_report(now), values, AlertThresholds())
    assert [(a["kind"], a["subject"]) for a in alerts["data"]] == [(a.kind, a.subject) for a in expected]
    assert alerts["thresholds"] == {"max_hhi": 0.25, "free_rider_ratio": 3.0}


def test_a_program_without_referrals_is_listed_with_zeros(served: Served, client: TestClient) -> None:
    """Issue 21's fix on the way: every program that exists at the height is listed, one that has no
    referral yet with zeros; one created later is not."""
    program = client.get(f"/v1/programs/{served.ids['program']}").json()
    created = program["created_block"]
    early = client.get(f"/v1/metrics/referrals?as_of_block={created}").json()
    assert [row["program_id"] for row in early["programs"]] == [program["id"]]
    listed = early["programs"][0]
    assert (listed["referrals"], listed["conversions"], listed["conversion_rate"]) == (0, 0, None)
    assert listed["rewards_paid"] == {}
    before = client.get(f"/v1/metrics/referrals?as_of_block={created - 1}").json()
    assert before["programs"] == [], "not created yet"
    now = client.get("/v1/metrics/referrals").json()
    assert [row["referrals"] for row in now["programs"]] == [3]


def test_loyalty_per_period(served: Served, ledger: LedgerGraph, client: TestClient) -> None:
    """The lifecycle admits 7 members and one founder leaves: one exit, six members; the figures are the
    metrics layer's on the graph at the head."""
    body = client.get("/v1/metrics/loyalty?period=day").json()
    assert (body["members"], body["left"]) == (6, 1)
    assert sum(row["exits"] for row in body["data"]) == 1
    # tenures run to the time of the last change the figures reflect (the same for every height after it)
    now = served.anvil.w3.eth.get_block(body["last_change_block"])["timestamp"]
    expected = loyalty(ledger.as_of(ledger.block), ledger.block, now, "day")
    assert body["average_tenure_days"] == pytest.approx(expected.average_tenure_days)
    assert [row["partner_retention"] for row in body["data"]] == [
        p.partner_retention for p in expected.periods
    ]
    assert [row["repeat_referrals"] for row in body["data"]] == [p.repeat_referrals for p in expected.periods]
    bad = client.get("/v1/metrics/loyalty?period=year")
    assert bad.status_code == 422
    assert error_of(bad)["parameter"] == "period"


def test_activity_per_period(client: TestClient) -> None:
    body = client.get("/v1/metrics/activity?period=day").json()
    assert body["period"] == "day"
    assert body["data"][-1]["members"] == 7, "growth counts every admission up to the period's end"


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/v1/metrics/network?as_of_block=999999999", 409, "as_of_block"),
        ("/v1/metrics/network?as_of_block=-5", 422, "as_of_block"),
        ("/v1/metrics/network?top=0", 422, "top"),
        ("/v1/metrics/members/0x99", 422, "address"),
        ("/v1/metrics/activity?period=year", 422, "period"),
        ("/v1/alerts?as_of_block=x", 422, "as_of_block"),
    ],
)
def test_bad_metric_requests_name_the_parameter(
    client: TestClient, path: str, status: int, parameter: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert error_of(response)["parameter"] == parameter
