"""/v1/programs and /v1/referrals: budgets, statuses, conversions and rewards; bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Served, error_of


def test_program_shows_its_budget_as_the_store_holds_it(served: Served, client: TestClient) -> None:
    program = served.ids["program"]
    body = client.get(f"/v1/programs/{program}").json()
    with served.store() as store:
        row = next(item for item in store.projection_rows("programs") if item["id"] == program)
    assert body["status"] == "closed"
    assert body["sponsor"] == served.deployment.accounts[0]
    for key in ("funded", "paid", "reclaimed", "reserved"):
        assert body[key] == str(row[key]), key
    assert int(body["funded"]) == 25 * 10**6, "20 funded at creation and 5 topped up"
    assert (body["referrals"], body["conversions"]) == (3, 2)
    listed = client.get(f"/v1/programs?sponsor={served.deployment.accounts[0]}&status=closed").json()
    assert [item["id"] for item in listed["data"]] == [program]


def test_referrals_list_filter_and_detail(served: Served, client: TestClient) -> None:
    referrer = served.deployment.accounts[4]
    body = client.get(f"/v1/referrals?referrer={referrer}").json()
    assert body["count"] == 3
    statuses = sorted(row["status"] for row in body["data"])
    assert statuses == ["claimed", "claimed", "recorded"]
    vouched = next(row for row in body["data"] if row["via_voucher"])
    assert vouched["conversion_value"] == str(8 * 10**6)
    commitment = vouched["commitment"].upper().replace("0X", "0x")
    detail = client.get(f"/v1/referrals/{vouched['program_id']}/{referrer.lower()}/{commitment}")
    assert detail.status_code == 200
    assert detail.json() == vouched
    claimed = client.get("/v1/referrals?status=claimed").json()
    assert claimed["count"] == 2
    assert sum(int(row["reward"]) for row in claimed["data"]) == int(
        client.get("/v1/programs/1").json()["paid"]
    )


@pytest.mark.parametrize(
    ("path", "status", "parameter"),
    [
        ("/v1/programs/77", 404, "program_id"),
        ("/v1/programs?status=paused", 422, "status"),
        ("/v1/programs?sponsor=0x12", 422, "sponsor"),
        ("/v1/referrals?program_id=-3", 422, "program_id"),
        ("/v1/referrals/1/0x" + "11" * 20 + "/0x1234", 422, "commitment"),
        ("/v1/referrals/1/0x" + "11" * 20 + "/0x" + "ab" * 32, 404, "commitment"),
        ("/v1/referrals/1/0x12/0x" + "ab" * 32, 422, "referrer"),
        ("/v1/referrals?referrer=someone", 422, "referrer"),
    ],
)
def test_bad_referral_requests_name_the_parameter(
    client: TestClient, path: str, status: int, parameter: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert error_of(response)["parameter"] == parameter
