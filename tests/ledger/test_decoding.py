"""Decoding raw logs: arguments by name, JSON-ready; every log it cannot explain reported, not dropped."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address

from ledger.decoding import DecodedEvent, EventDecoder, LogPosition, UndecodedLog
from ledger.manifest import ContractDeployment, DeploymentManifest

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
PARTY = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"

DEPOSITED = {
    "type": "event",
    "name": "RevenueDeposited",
    "anonymous": False,
    "inputs": [
        {"name": "id", "type": "uint256", "indexed": True},
        {"name": "contributor", "type": "address", "indexed": True},
        {"name": "amount", "type": "uint256", "indexed": False},
        {"name": "held", "type": "bool", "indexed": False},
    ],
}
PROPOSED = {
    "type": "event",
    "name": "AgreementProposed",
    "anonymous": False,
    "inputs": [
        {"name": "id", "type": "uint256", "indexed": True},
        {"name": "note", "type": "string", "indexed": True},
        {"name": "parties", "type": "address[]", "indexed": False},
        {"name": "sharesBps", "type": "uint16[]", "indexed": False},
        {"name": "termsHash", "type": "bytes32", "indexed": False},
        {"name": "uri", "type": "string", "indexed": False},
        {
            "name": "period",
            "type": "tuple",
            "indexed": False,
            "components": [{"name": "start", "type": "uint64"}, {"name": "end", "type": "uint64"}],
        },
    ],
}


def _manifest() -> DeploymentManifest:
    contract = ContractDeployment(
        address=ADDRESS, block=1, tx_hash="0x" + "ab" * 32, abi=[DEPOSITED, PROPOSED]
    )
    return DeploymentManifest.model_validate(
        {
            "chain_id": 31337,
            "network": "development",
            "deployed_at": "2026-11-22T00:00:00Z",
            "contracts": {"Agreements": contract},
        }
    )


def _topic(abi: dict[str, Any]) -> str:
    return "0x" + event_abi_to_log_topic(abi).hex()  # type: ignore[arg-type]


def _word(kind: str, value: Any) -> str:
    return "0x" + encode([kind], [value]).hex()


def _log(topics: list[str], data: bytes, address: str = ADDRESS) -> dict[str, Any]:
    return {
        "address": address.lower(),
        "topics": topics,
        "data": "0x" + data.hex(),
        "blockNumber": "0x1a",
        "blockHash": "0x" + "cd" * 32,
        "transactionHash": "0x" + "ef" * 32,
        "transactionIndex": "0x2",
        "logIndex": "0x5",
        "removed": False,
    }


@pytest.fixture
def decoder() -> EventDecoder:
    return EventDecoder(_manifest())


def test_indexed_and_data_arguments_are_decoded_by_name(decoder: EventDecoder) -> None:
    log = _log(
        [_topic(DEPOSITED), _word("uint256", 7), _word("address", PARTY)],
        encode(["uint256", "bool"], [10**30, True]),
    )
    event = decoder.decode(log)
    assert isinstance(event, DecodedEvent)
    assert (event.contract, event.address, event.event) == ("Agreements", ADDRESS, "RevenueDeposited")
    assert event.args == {"id": 7, "contributor": PARTY, "amount": 10**30, "held": True}
    assert event.position == LogPosition(26, "0x" + "cd" * 32, "0x" + "ef" * 32, 2, 5)


def test_arrays_bytes_strings_and_tuples_are_json_ready(decoder: EventDecoder) -> None:
    note_hash = "0x" + "99" * 32
    data = encode(
        ["address[]", "uint16[]", "bytes32", "string", "(uint64,uint64)"],
        [[PARTY, OTHER], [6_000, 4_000], b"\x11" * 32, "ipfs://terms", (100, 200)],
    )
    event = decoder.decode(_log([_topic(PROPOSED), _word("uint256", 1), note_hash], data))
    assert isinstance(event, DecodedEvent)
    assert event.args == {
        "id": 1,
        "note": note_hash,  # an indexed string is only its hash on chain
        "parties": [PARTY, to_checksum_address(OTHER)],
        "sharesBps": [6_000, 4_000],
        "termsHash": "0x" + "11" * 32,
        "uri": "ipfs://terms",
        "period": [100, 200],
    }


def test_web3_style_logs_decode_the_same(decoder: EventDecoder) -> None:
    raw = _log(
        [_topic(DEPOSITED), _word("uint256", 7), _word("address", PARTY)],
        encode(["uint256", "bool"], [1, False]),
    )
    web3_style = {
        **raw,
        "topics": [bytes.fromhex(topic[2:]) for topic in raw["topics"]],
        "data": bytes.fromhex(raw["data"][2:]),
        "blockNumber": 26,
        "blockHash": bytes.fromhex("cd" * 32),
        "transactionHash": bytes.fromhex("ef" * 32),
        "transactionIndex": 2,
        "logIndex": 5,
    }
    assert decoder.decode(web3_style) == decoder.decode(raw)


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        (_log([_topic(DEPOSITED)], b"", address=OTHER), "not in the deployment manifest"),
        (_log([], b""), "anonymous log"),
        (_log(["0x" + "00" * 32], b""), "declares no event with topic"),
        (_log([_topic(DEPOSITED), _word("uint256", 7)], b""), "has 2 indexed args, the log 1"),
        (
            _log([_topic(DEPOSITED), _word("uint256", 7), _word("address", PARTY)], b"\x01" * 31),
            "RevenueDeposited does not decode",
        ),
    ],
)
def test_unexplained_logs_are_reported_with_the_reason(
    decoder: EventDecoder, log: dict[str, Any], reason: str
) -> None:
    result = decoder.decode(log)
    assert isinstance(result, UndecodedLog)
    assert reason in result.reason
    assert result.position.log_index == 5
    assert result.data == log["data"]


def test_addresses_for_the_log_filter(decoder: EventDecoder) -> None:
    assert decoder.addresses == [ADDRESS]
