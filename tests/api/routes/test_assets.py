"""/v1/assets: the ERC-20s the members approved, as the Consortium says."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def test_assets_list_what_the_consortium_approved_and_revoked(served: Served, client: TestClient) -> None:
    consortium = served.deployment.contracts["Consortium"].functions
    cusd = served.deployment.contracts["MockERC20"].address
    revoked = consortium.proposal(served.ids["revocation"]).call()[1]
    body = client.get("/v1/assets").json()
    assert body["count"] == 2
    listed = {row["address"]: row for row in body["data"]}
    assert set(listed) == {cusd, revoked}
    for address, row in listed.items():
        assert row["approved"] is consortium.isApprovedAsset(address).call()
    assert listed[revoked]["proposal_id"] == served.ids["revocation"]
    assert (listed[cusd]["symbol"], listed[cusd]["name"], listed[cusd]["decimals"]) == (
        "cUSD",
        "Coop Dollar",
        18,
    )

    approved_now = client.get("/v1/assets", params={"approved": "true"}).json()
    assert [row["address"] for row in approved_now["data"]] == [cusd]
    gone = client.get("/v1/assets", params={"approved": "false"}).json()
    assert [row["address"] for row in gone["data"]] == [revoked]


def test_assets_refuse_a_filter_that_is_not_a_boolean(client: TestClient) -> None:
    response = client.get("/v1/assets", params={"approved": "maybe"})
    assert response.status_code == 422
    assert "approved" in str(error_of(response))
