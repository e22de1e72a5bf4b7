"""/v1/contracts: the facts a client acts on the contracts with, from the deployment the store indexes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import ApiSettings
from ledger.protocol.eip712 import agreement_approval, conversion_voucher, sign_typed_data
from ledger.protocol.manifest import load_manifest
from tests.api.conftest import Served, error_of
from tests.ledger.chain_fixtures import ANVIL_KEY_0


def test_every_contract_is_served_with_its_address_abi_texts_and_domain(
    served: Served, client: TestClient
) -> None:
    manifest = load_manifest(served.deployment.manifest_path)
    body = client.get("/v1/contracts").json()
    assert (body["chain_id"], body["network"]) == (manifest.chain_id, manifest.network)
    assert set(body["contracts"]) == set(manifest.contracts)
    for name, record in manifest.contracts.items():
        served_contract = body["contracts"][name]
        assert served_contract["address"] == record.address
        assert served_contract["abi"] == record.abi
        assert served_contract["errors"] == record.errors, "the command line's words"
        assert served_contract["typed_data"] == record.typed_data
    agreements = body["contracts"]["Agreements"]
    assert agreements["errors"]["AgreementNotParty"].startswith("`account` is not a party")
    assert agreements["enums"]["Kind"][0] == "joint_marketing", "enum values in their one spelling"
    assert agreements["eip712_domain"] == {
        "name": manifest.contracts["Agreements"].eip712_domain["name"],  # type: ignore[index]
        "version": manifest.contracts["Agreements"].eip712_domain["version"],  # type: ignore[index]
        "chainId": manifest.chain_id,
        "verifyingContract": to_checksum_address(manifest.contracts["Agreements"].address),
    }
    assert body["contracts"]["Consortium"]["eip712_domain"] is None, "it verifies no signature"
    assert body["assets"] == client.get("/v1/assets").json()["data"], "with their symbol and decimals"


def _typed(facts: dict[str, Any], primary_type: str, message: dict[str, Any]) -> dict[str, Any]:
    """What a client builds from the served facts alone: the domain, the type, the message."""
    return {
        "domain": facts["eip712_domain"],
        "types": {primary_type: facts["typed_data"][primary_type]},
        "primaryType": primary_type,
        "message": message,
    }


def test_a_signature_made_from_the_served_facts_is_the_command_lines(
    served: Served, client: TestClient
) -> None:
    """The page signs with what /v1/contracts serves; the command line with the manifest (its vouchers are
    redeemed on chain in the served scenario). The two signatures are the same bytes."""
    manifest = load_manifest(served.deployment.manifest_path)
    facts = client.get("/v1/contracts").json()["contracts"]
    content = b"\x07" * 32
    approval = {"agreementId": 1, "version": 2, "contentHash": content}
    by_page = sign_typed_data(ANVIL_KEY_0, _typed(facts["Agreements"], "AgreementApproval", approval))
    by_cli = agreement_approval(manifest.chain_id, manifest.contracts["Agreements"], 1, 2, content)
    assert by_page == sign_typed_data(ANVIL_KEY_0, by_cli)
    referrer = served.deployment.accounts[4]
    voucher = (1, referrer, b"\x02" * 32, 8 * 10**6, 80_000, 2_000_000_000, 0)
    fields = [field["name"] for field in facts["ReferralRewards"]["typed_data"]["ConversionVoucher"]]
    by_page = sign_typed_data(
        ANVIL_KEY_0,
        _typed(facts["ReferralRewards"], "ConversionVoucher", dict(zip(fields, voucher, strict=True))),
    )
    by_cli = conversion_voucher(manifest.chain_id, manifest.contracts["ReferralRewards"], *voucher)
    assert by_page == sign_typed_data(ANVIL_KEY_0, by_cli)


def test_before_anything_is_indexed_the_facts_are_a_409(served: Served, tmp_path: Path) -> None:
    settings = ApiSettings(
        rpc_url=served.anvil.url,
        store_url=f"sqlite:///{tmp_path}/empty.db",
        manifest=served.deployment.manifest_path,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as empty:
        response = empty.get("/v1/contracts")
    assert response.status_code == 409
    assert "run `coopledger index`" in str(error_of(response)["message"])
