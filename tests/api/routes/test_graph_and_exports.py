"""/v1/graph in three formats and /v1/exports as CSV: what Gephi and a spreadsheet read."""

from __future__ import annotations

import csv
import io
import json

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def test_the_graph_reads_back_the_same_in_every_format(client: TestClient) -> None:
    network = client.get("/v1/metrics/network").json()
    linked = client.get("/v1/graph").json()
    assert len(linked["nodes"]) == network["members"]
    assert len(linked["links"]) == network["ties"]
    assert {"community", "pagerank", "sector", "name"} <= set(linked["nodes"][0])
    graphml = client.get("/v1/graph?format=graphml")
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    read = nx.read_graphml(io.BytesIO(graphml.content))
    assert read.number_of_nodes() == network["members"]
    assert read.number_of_edges() == network["ties"]
    gexf = client.get("/v1/graph?format=gexf")
    assert nx.read_gexf(io.BytesIO(gexf.content)).number_of_nodes() == network["members"]


def test_the_full_graph_has_every_kind_of_edge_with_amounts_as_text(client: TestClient) -> None:
    full = client.get("/v1/graph?view=full").json()
    kinds = {link["kind"] for link in full["links"]}
    assert kinds >= {"agreement", "value", "referral", "conversion", "reward"}
    value = next(link for link in full["links"] if link["kind"] == "value")
    assert isinstance(value["amount"], str)
    assert int(value["amount"]) > 0
    graphml = client.get("/v1/graph?view=full&format=graphml")
    assert nx.read_graphml(io.BytesIO(graphml.content)).number_of_edges() == len(full["links"])


def test_gephi_reads_members_by_name_and_tells_parallel_edges_apart(
    served: Served, client: TestClient
) -> None:
    with served.store() as store:
        names = {row["address"]: row["name"] for row in store.projection_rows("members")}
    for view in ("ties", "full"):
        gexf = nx.read_gexf(io.BytesIO(client.get(f"/v1/graph?view={view}&format=gexf").content))
        members = [node for node in gexf if node in names]
        assert members, view
        for member in members:
            assert gexf.nodes[member]["label"] == names[member], (view, member)
            assert gexf.nodes[member]["address"] == member
    full = nx.read_graphml(io.BytesIO(client.get("/v1/graph?view=full&format=graphml").content))
    pairs: dict[tuple[str, str], list[dict[str, object]]] = {}
    for u, v, data in full.edges(data=True):
        pairs.setdefault((u, v), []).append(data)
    parallel = max(pairs.values(), key=len)
    assert len(parallel) > 1, "the scenario has parallel edges"
    assert len({(edge["kind"], edge["block"], edge.get("amount"), edge["id"]) for edge in parallel}) == len(
        parallel
    ), "each tells its kind, block, amount and id"
    value = next(data for *_, data in full.edges(data=True) if data["kind"] == "value")
    assert {"kind", "block", "amount", "asset", "label", "id"} <= set(value)


def test_csv_events_write_integers_as_the_json_api_does(client: TestClient) -> None:
    listed = client.get("/v1/events?event=RevenueDeposited&limit=200").json()["data"]
    exported = _csv(client, "/v1/exports/events.csv?event=RevenueDeposited")
    assert [json.loads(row["args"]) for row in exported] == [item["args"] for item in listed]
    assert all(isinstance(json.loads(row["args"])["amount"], str) for row in exported)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("format=png", "format"), ("view=everything", "view"), ("as_of_block=-1", "as_of_block")],
)
def test_bad_graph_requests_name_the_parameter(client: TestClient, query: str, parameter: str) -> None:
    response = client.get(f"/v1/graph?{query}")
    assert response.status_code == 422
    assert error_of(response)["parameter"] == parameter


def _csv(client: TestClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_csv_exports_hold_every_row(served: Served, client: TestClient) -> None:
    with served.store() as store:
        stored_events, members = store.event_rows(), store.projection_rows("members")
    events = _csv(client, "/v1/exports/events.csv")
    assert [(row["tx_hash"], int(row["log_index"])) for row in events] == [
        (row["tx_hash"], row["log_index"]) for row in stored_events
    ]
    deposits = _csv(client, "/v1/exports/events.csv?event=RevenueDeposited")
    assert len(deposits) == 6
    assert [row["address"] for row in _csv(client, "/v1/exports/members.csv")] == [
        row["address"] for row in members
    ]
    metrics = _csv(client, "/v1/exports/metrics.csv")
    network = client.get("/v1/metrics/network?top=100").json()
    assert len(metrics) == network["members"]
    pagerank = {item["address"]: item["value"] for item in network["top_pagerank"]}
    assert {row["address"]: float(row["pagerank"]) for row in metrics} == pytest.approx(pagerank)
