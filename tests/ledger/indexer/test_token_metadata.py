"""What an ERC-20 says of itself (symbol, name, decimals): read from the chain once per asset by the indexer,
and whatever a token answers — a string, a bytes32, nothing, a revert — read safely."""

from __future__ import annotations

import pytest
from eth_abi.abi import encode

from ledger.indexer.chain import ChainReader, TokenMetadata, read_text, read_whole_number
from ledger.indexer.sync import Indexer
from ledger.protocol.manifest import load_manifest
from ledger.store import Store
from tests.ledger.chain_fixtures import Anvil, Deployment, deploy_contract


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (encode(["string"], ["cUSD"]), "cUSD"),
        (b"MKR".ljust(32, b"\0"), "MKR"),  # a bytes32 symbol, as early tokens answer
        (encode(["string"], ["Bakers\u2019 Pound"]), "Bakers\u2019 Pound"),
        (encode(["string"], ["ev\x00il\n\x1b[31m"]), "evil[31m"),  # control characters never reach a page
        (encode(["string"], ["x" * 100]), "x" * 32),
        (encode(["string"], [""]), None),
        (b"", None),  # reverted, or no such function
        (b"\x01\x02", None),
    ],
)
def test_a_text_is_read_from_a_string_or_a_bytes32(data: bytes, text: str | None) -> None:
    assert read_text(data, longest=32) == text


@pytest.mark.parametrize(
    ("data", "number"),
    [
        (encode(["uint8"], [6]), 6),
        (encode(["uint256"], [18]), 18),
        (encode(["uint256"], [78]), None),
        (b"", None),
    ],
)
def test_decimals_are_a_whole_number_a_power_of_ten_can_hold(data: bytes, number: int | None) -> None:
    assert read_whole_number(data, largest=77) == number


def test_the_chain_answers_a_tokens_metadata_and_nothing_for_a_contract_that_is_no_token(
    anvil: Anvil, deployment: Deployment
) -> None:
    reader = ChainReader(anvil.url)
    pound, _ = deploy_contract(anvil.w3, "MockERC20", "Bakers' Pound", "BKP")
    assert reader.token_metadata(pound.address) == TokenMetadata("BKP", "Bakers' Pound", 18)
    consortium = deployment.contracts["Consortium"].address  # it has no symbol(), name() or decimals()
    assert reader.token_metadata(consortium) == TokenMetadata(None, None, None)


def test_the_indexer_reads_each_assets_metadata_once(
    anvil: Anvil, deployment: Deployment, store_url: str
) -> None:
    manifest = load_manifest(deployment.manifest_path)
    with Store.open(store_url) as store:
        Indexer(ChainReader(anvil.url), store, manifest).sync()
        token = deployment.contracts["MockERC20"].address
        rows = store.asset_metadata_rows()
        assert [(row["address"], row["symbol"], row["name"], row["decimals"]) for row in rows] == [
            (token, "cUSD", "Coop Dollar", 18)
        ]
        read_at = rows[0]["read_block"]
        anvil.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        Indexer(ChainReader(anvil.url), store, manifest).sync()
        assert store.asset_metadata_rows()[0]["read_block"] == read_at, "read once: a token's metadata stays"
        assert store.assets_without_metadata() == []
