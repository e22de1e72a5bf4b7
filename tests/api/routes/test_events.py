"""/v1/events: the audit history in chain order, its filters and pages; bad ranges."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def _all_pages(client: TestClient, query: str) -> list[dict[str, Any]]:
    rows, cursor = [], None
    while True:
        suffix = f"&cursor={cursor}" if cursor else ""
        body = client.get(f"/v1/events?limit=17&{query}{suffix}").json()
        rows += body["data"]
        cursor = body["next_cursor"]
        if cursor is None:
            return rows


def test_the_history_is_every_stored_event_in_chain_order(served: Served, client: TestClient) -> None:
    with served.store() as store:
        stored = store.event_rows()
    rows = _all_pages(client, "")
    assert [(row["tx_hash"], row["log_index"]) for row in rows] == [
        (row["tx_hash"], row["log_index"]) for row in stored
    ]
    assert [(row["block_number"], row["log_index"]) for row in rows] == sorted(
        (row["block_number"], row["log_index"]) for row in rows
    )
    first = rows[0]
    assert set(first) >= {
        "block_number",
        "block_hash",
        "timestamp",
        "tx_hash",
        "log_index",
        "contract",
        "event",
    }
    deposit = next(row for row in rows if row["event"] == "RevenueDeposited")
    assert isinstance(deposit["args"]["amount"], str), "integers are decimal strings"
    assert deposit["args"]["amount"] == str(
        next(
            item["args"]["amount"]
            for item in stored
            if (item["tx_hash"], item["log_index"]) == (deposit["tx_hash"], deposit["log_index"])
        )
    )


def test_filter_by_an_address_finds_every_event_naming_it(served: Served, client: TestClient) -> None:
    newcomer = served.deployment.accounts[7]
    with served.store() as store:
        expected = [
            (row["tx_hash"], row["log_index"]) for row in store.event_rows() if newcomer in str(row["args"])
        ]
    rows = _all_pages(client, f"address={newcomer.lower()}")
    assert [(row["tx_hash"], row["log_index"]) for row in rows] == expected
    assert {row["event"] for row in rows} >= {"MemberAdmitted", "MemberSuspended"}


def test_filter_by_contract_event_and_block_range(served: Served, client: TestClient) -> None:
    deposits = _all_pages(client, "contract=Agreements&event=RevenueDeposited")
    assert len(deposits) == 6, "six deposits in the lifecycle"
    middle = deposits[2]["block_number"]
    ranged = _all_pages(client, f"event=RevenueDeposited&from_block={middle}&to_block={middle}")
    assert [row["tx_hash"] for row in ranged] == [deposits[2]["tx_hash"]]
    assert client.get("/v1/events?contract=Nowhere").json()["count"] == 0
    assert client.get(f"/v1/events?from_block={middle + 1}&to_block={middle}").json()["count"] == 0


def test_an_event_cursor_is_block_and_log_index(client: TestClient) -> None:
    first = client.get("/v1/events?limit=3").json()
    last = first["data"][-1]
    assert first["next_cursor"] == f"{last['block_number']}-{last['log_index']}"
    second = first["data"][1]
    after = client.get(f"/v1/events?limit=1&cursor={second['block_number']}-{second['log_index']}").json()
    assert after["data"] == [last], "a key of the client's choosing is a place to start"
    assert client.get("/v1/events?cursor=999999999999999999-0").json()["data"] == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("cursor=12", "cursor"),
        ("cursor=12-x", "cursor"),
        ("cursor=9999999999999999999-0", "cursor"),
        ("from_block=-1", "from_block"),
        ("address=0x00", "address"),
        ("event=Robert';DROP", "event"),
        ("limit=100000", "limit"),
    ],
)
def test_bad_history_requests_name_the_parameter(client: TestClient, query: str, parameter: str) -> None:
    response = client.get(f"/v1/events?{query}")
    assert response.status_code == 422
    assert error_of(response)["parameter"] == parameter
