"""/v1/members: list, filters, pages, detail; bad addresses and cursors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def test_members_list_equals_the_store_in_address_order(served: Served, client: TestClient) -> None:
    with served.store() as store:
        expected = store.projection_rows("members")
    body = client.get("/v1/members").json()
    assert body["count"] == len(expected) == 7, "6 founders and one admitted member"
    assert [row["address"] for row in body["data"]] == [row["address"] for row in expected]
    assert body["next_cursor"] is None
    newcomer = next(row for row in body["data"] if row["name"] == "Newcomer Plumbing")
    assert newcomer["status"] == "suspended"
    assert newcomer["sector"] == "plumbing"


def test_members_page_by_cursor_without_gap_or_repeat(client: TestClient) -> None:
    everyone = [row["address"] for row in client.get("/v1/members").json()["data"]]
    seen, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = client.get("/v1/members", params=params).json()
        assert body["count"] == len(everyone)
        assert len(body["data"]) <= 3
        seen += [row["address"] for row in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == everyone


@pytest.mark.parametrize(
    ("query", "expected"), [("status=exited", 1), ("status=suspended", 1), ("sector=bakery", 2)]
)
def test_members_filter(client: TestClient, query: str, expected: int) -> None:
    body = client.get(f"/v1/members?{query}").json()
    assert body["count"] == expected == len(body["data"])


def test_member_detail_lists_its_agreements_with_balances(served: Served, client: TestClient) -> None:
    lead = served.deployment.accounts[0]
    body = client.get(f"/v1/members/{lead.lower()}").json()
    assert body["address"] == lead, "a lower-case address is accepted and answered checksummed"
    assert [item["id"] for item in body["agreements"]] == [served.ids["agreement"]]
    with served.store() as store:
        party = next(
            row
            for row in store.projection_rows("agreement_parties")
            if row["party"] == lead and row["agreement_id"] == served.ids["agreement"]
        )
    assert body["agreements"][0]["credited"] == str(party["credited"])
    assert body["agreements"][0]["share_bps"] == party["share_bps"]


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/v1/members/0x1234", 422, "address"),
        ("/v1/members/0xZZ00000000000000000000000000000000000000", 422, "address"),
        ("/v1/members/0x00000000000000000000000000000000000000aA", 422, "address"),
        ("/v1/members/0x0000000000000000000000000000000000000001", 404, "address"),
        ("/v1/members?limit=0", 422, "limit"),
        ("/v1/members?limit=501", 422, "limit"),
        ("/v1/members?status=retired", 422, "status"),
        ("/v1/members?cursor=not-a-cursor", 400, "cursor"),
        ("/v1/members?cursor=e30=", 400, "cursor"),
    ],
)
def test_bad_member_requests_name_the_parameter(
    client: TestClient, path: str, status: int, parameter: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    error = error_of(response)
    assert error["parameter"] == parameter
    assert parameter in str(error["message"])


@pytest.mark.parametrize(
    "path", ["/v1/members?limit=1&limit=500", "/v1/metrics/network?top=3&top=5&as_of_block=1"]
)
def test_a_repeated_parameter_is_a_422_naming_it(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    error = error_of(response)
    assert error["parameter"] in {"limit", "top"}
    assert "give it once" in str(error["message"])
