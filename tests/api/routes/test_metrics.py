"""/v1/metrics and /v1/alerts: the figures of the metrics layer at a height, cached per height."""

from __future__ import annotations

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from api.service import LedgerService
from ledger.analytics.graph import LedgerGraph
from ledger.analytics.metrics.alerts import AlertThresholds
from ledger.analytics.metrics.loyalty import loyalty
from ledger.analytics.metrics.recommendations import backtest_history, recommend, resilience_ties
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
    assert alerts["thresholds"] == {
        "max_hhi": 0.25,
        "free_rider_ratio": 3.0,
        "min_rating_mean": 3.0,
        "min_ratings": 2,
        "rating_gap": 3,
        "max_churn": 0.05,
    }


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


def test_satisfaction_from_the_ratings_that_count(served: Served, client: TestClient) -> None:
    """The lifecycle's ratings, worked by hand: 0 rates 1 with 4 (its 2 before it replaced), 1 rates 0 with 5
    (version 3), 0 rates 2 with 3 by signature."""
    a = served.deployment.accounts
    body = client.get("/v1/metrics/satisfaction").json()
    assert (body["ratings"], body["raters"], body["rated"]) == (3, 2, 3)
    assert body["mean_score"] == pytest.approx(4.0)
    assert (body["promoters"], body["passives"], body["detractors"], body["net_promoter_score"]) == (
        1,
        1,
        1,
        0.0,
    )
    assert (body["rated_pairs"], body["reciprocated_pairs"]) == (3, 2)
    assert body["reciprocity"] == pytest.approx(2 / 3)
    members = {row["member"]: row for row in body["members"]}
    assert (members[a[0]]["received"], members[a[0]]["received_mean"], members[a[0]]["given_mean"]) == (
        1,
        5.0,
        3.5,
    )
    assert members[a[2]]["name"] == "Member 2"
    assert (members[a[2]]["received_mean"], members[a[2]]["given"], members[a[2]]["raters"]) == (
        3.0,
        0,
        [a[0]],
    )
    assert body["low_rated_ties"] == []
    assert body["far_apart"] == []

    ratings = client.get("/v1/ratings", params={"member": a[1].lower()}).json()
    assert [(row["rater"], row["ratee"], row["version"], row["score"]) for row in ratings["data"]] == [
        (a[0], a[1], 1, 4),
        (a[1], a[0], 3, 5),
    ]
    first = ratings["data"][0]["rated_block"] - 1  # the block of the rating it replaced
    before = client.get("/v1/ratings", params={"member": a[1], "as_of_block": first}).json()
    assert [(row["rater"], row["score"]) for row in before["data"]] == [(a[0], 2)]
    assert client.get("/v1/metrics/satisfaction", params={"as_of_block": first}).json()["ratings"] == 1
    assert client.get("/v1/ratings", params={"agreement_id": 2}).json()["count"] == 0
    bad = client.get("/v1/ratings", params={"member": "0x12"})
    assert bad.status_code == 422
    assert error_of(bad)["parameter"] == "member"


def test_people_alerts_follow_the_thresholds(client: TestClient) -> None:
    """No member is rated below 3 over two ratings; the lifecycle's one exit is 1 of 6 founders (17 %) in a
    month that is the current one only on the day it ran: churn alerts are tested on a hand-made graph."""
    body = client.get("/v1/alerts").json()
    assert body["thresholds"]["min_rating_mean"] == 3.0
    assert body["thresholds"]["max_churn"] == 0.05
    kinds = {alert["kind"] for alert in body["data"]}
    assert "low_rating" not in kinds
    assert "ratings_far_apart" not in kinds


def test_recommendations_are_the_metrics_layers(
    served: Served, ledger: LedgerGraph, client: TestClient
) -> None:
    now = snapshot(ledger, ledger.block)
    report = network_report(now)
    member = served.deployment.accounts[0]
    expected = recommend(now.ties, member, report.communities.membership, report.articulation_points, 3)
    body = client.get(f"/v1/members/{member.lower()}/recommendations", params={"top": 3}).json()
    assert body["member"] == member
    assert [(row["partner"], row["score"]) for row in body["data"]] == [
        (found.partner, pytest.approx(found.score)) for found in expected
    ]
    assert all(not now.ties.has_edge(member, row["partner"]) for row in body["data"]), "only new partners"
    assert [reason["kind"] for reason in body["data"][0]["reasons"]] == [r.kind for r in expected[0].reasons]
    missing = client.get(f"/v1/members/{served.deployment.accounts[9]}/recommendations")
    assert missing.status_code == 404
    assert error_of(missing)["parameter"] == "address"

    resilience = client.get("/v1/recommendations/resilience", params={"top": 2}).json()
    assert [(row["a"], row["b"]) for row in resilience["data"]] == [
        (tie.a, tie.b) for tie in resilience_ties(now.ties, 2)
    ]
    backtest = client.get("/v1/recommendations/backtest", params={"share": 0.5}).json()
    found = backtest_history(ledger.graph, ledger.block, 0.5)
    assert (backtest["split_block"], backtest["new_ties"]) == (found.split_block, found.new_ties)
    assert [row["method"] for row in backtest["scores"]] == [
        "recommendations",
        "random",
        "preferential attachment",
        "common neighbours",
    ]
    assert backtest["scores"][0]["auc"] == pytest.approx(found.scores[0].auc)
    assert client.get("/v1/recommendations/backtest", params={"share": 1.5}).status_code == 422


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
