"""/v1/agreements: parties, shares, balances, versions and status; filters; bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def test_agreement_detail_has_parties_balances_and_every_version(served: Served, client: TestClient) -> None:
    agreement = served.ids["agreement"]
    body = client.get(f"/v1/agreements/{agreement}").json()
    with served.store() as store:
        row = next(item for item in store.projection_rows("agreements") if item["id"] == agreement)
        parties = [
            item for item in store.projection_rows("agreement_parties") if item["agreement_id"] == agreement
        ]
    assert body["status"] == "terminated"
    assert body["kind"] == "resource_pooling"
    assert body["total_deposited"] == str(row["total_deposited"])
    dust = int(body["total_credited"]) - sum(int(party["credited"]) for party in body["parties"])
    assert 0 <= dust < len(body["parties"]), "what rounding assigned to nobody yet: fewer units than parties"
    on_chain = served.deployment.contracts["Agreements"].functions.unassigned(agreement).call()
    assert body["unassigned"] == str(dust) == str(on_chain)
    assert {party["party"]: party["share_bps"] for party in body["parties"]} == {
        party["party"]: party["share_bps"] for party in parties
    }
    assert [version["version"] for version in body["versions"]] == [1, 2, 3]
    statuses = {version["version"]: version["status"] for version in body["versions"]}
    assert statuses[2] == "replaced", "version 2 was replaced by version 3 before it was signed"
    assert statuses[3] != "proposed", "version 3 was signed by every party"


def test_agreements_filter_by_status_party_and_kind(served: Served, client: TestClient) -> None:
    terminated = client.get("/v1/agreements?status=terminated").json()
    assert terminated["count"] == 2, "the amended agreement and the cancelled proposal"
    third = served.deployment.accounts[3]
    mine = client.get(f"/v1/agreements?party={third}").json()
    assert [row["id"] for row in mine["data"]] == [served.ids["cancelled"]]
    assert all(any(p["party"] == third for p in row["parties"]) for row in mine["data"])
    pooling = client.get("/v1/agreements?kind=resource_pooling").json()
    assert [row["id"] for row in pooling["data"]] == [served.ids["agreement"]]
    assert client.get("/v1/agreements?kind=supply").json() == {"data": [], "count": 0, "next_cursor": None}


def test_agreements_active_at_a_block(served: Served, client: TestClient) -> None:
    detail = client.get(f"/v1/agreements/{served.ids['agreement']}").json()
    activated, ended = detail["activated_block"], detail["ended_block"]
    assert activated is not None
    assert ended is not None

    def active_at(block: int) -> list[int]:
        return [row["id"] for row in client.get(f"/v1/agreements?active_at_block={block}").json()["data"]]

    assert active_at(activated - 1) == []
    assert active_at(activated) == [served.ids["agreement"]]
    assert active_at(ended - 1) == [served.ids["agreement"]], "disputed counts as active: it is in force"
    assert active_at(ended) == [], "terminated by then; the cancelled proposal was never active"


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/v1/agreements/999", 404, "agreement_id"),
        ("/v1/agreements/-1", 422, "agreement_id"),
        ("/v1/agreements/one", 422, "agreement_id"),
        ("/v1/agreements?kind=merger", 422, "kind"),
        ("/v1/agreements?party=0xabc", 422, "party"),
        ("/v1/agreements?asset=nope", 422, "asset"),
        ("/v1/agreements?active_at_block=-2", 422, "active_at_block"),
    ],
)
def test_bad_agreement_requests_name_the_parameter(
    client: TestClient, path: str, status: int, parameter: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert error_of(response)["parameter"] == parameter


@pytest.mark.parametrize(
    ("path", "listed"),
    [
        ("/v1/agreements?kind=merger", "joint_marketing"),
        ("/v1/agreements?status=Active", "active"),
        ("/v1/members?status=retired", "suspended"),
        ("/v1/referrals?status=paid", "claimed"),
    ],
)
def test_a_kind_or_status_the_contracts_lack_is_refused_with_the_ones_they_have(
    client: TestClient, path: str, listed: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert listed in str(error_of(response)["message"])


def test_kinds_filter_in_the_contracts_spelling(served: Served, client: TestClient) -> None:
    every = client.get("/v1/agreements").json()["data"]
    kind = every[0]["kind"]
    chosen = client.get("/v1/agreements", params={"kind": kind}).json()["data"]
    assert chosen == [agreement for agreement in every if agreement["kind"] == kind]
