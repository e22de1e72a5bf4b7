"""Decoding raw logs: arguments by name, JSON-ready; every log it cannot explain reported, not dropped."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from ledger.indexer.decoding import DecodedEvent, EventDecoder, LogPosition, UndecodedLog
from ledger.protocol.manifest import ContractDeployment, DeploymentManifest

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


STATIC_TYPES = ["uint8", "uint64", "uint256", "int8", "int256", "address", "bool", "bytes4", "bytes32"]
STATIC = {
    "type": "event",
    "name": "Static",
    "anonymous": False,
    "inputs": [
        {"name": "first", "type": "uint256", "indexed": True},
        {"name": "who", "type": "address", "indexed": True},
        *({"name": f"v{i}", "type": kind, "indexed": False} for i, kind in enumerate(STATIC_TYPES)),
    ],
}


def _static_decoders() -> tuple[EventDecoder, EventDecoder]:
    manifest = _manifest()
    contract = manifest.contracts["Agreements"].model_copy(update={"abi": [STATIC]})
    static_manifest = manifest.model_copy(update={"contracts": {"Agreements": contract}})
    return EventDecoder(static_manifest), EventDecoder(static_manifest, fast=False)


def _outcome(result: DecodedEvent | UndecodedLog) -> Any:
    return result if isinstance(result, DecodedEvent) else "undecoded"


@given(
    words=st.lists(
        st.one_of(
            st.binary(min_size=32, max_size=32),
            st.integers(min_value=0, max_value=2**256 - 1).map(lambda n: n.to_bytes(32, "big")),
            st.integers(min_value=0, max_value=255).map(lambda n: n.to_bytes(32, "big")),
            st.binary(min_size=1, max_size=32).map(lambda b: b.ljust(32, b"\0")),
            st.binary(min_size=20, max_size=20).map(lambda b: b.rjust(32, b"\0")),
        ),
        min_size=len(STATIC_TYPES) + 2,
        max_size=len(STATIC_TYPES) + 2,
    )
)
def test_the_fast_word_decoder_agrees_with_eth_abi(words: list[bytes]) -> None:
    """Any words at all, valid or not: the fast path decodes what eth_abi decodes, and refuses what it
    refuses."""
    fast, reference = _static_decoders()
    topics = [_topic(STATIC), "0x" + words[0].hex(), "0x" + words[1].hex()]
    log = _log(topics, b"".join(words[2:]))
    assert _outcome(fast.decode(log)) == _outcome(reference.decode(log))


@pytest.mark.parametrize(
    ("index", "word"),
    [
        (5, b"\x01" + bytes(31)),  # address with non-zero padding
        (6, (2).to_bytes(32, "big")),  # bool 2
        (0, (256).to_bytes(32, "big")),  # uint8 overflow
        (7, b"\x01" * 32),  # bytes4 with non-zero padding
    ],
)
def test_malformed_static_values_are_undecoded_by_both_paths(index: int, word: bytes) -> None:
    words = [bytes(32)] * len(STATIC_TYPES)
    words[index] = word
    log = _log([_topic(STATIC), _word("uint256", 1), _word("address", PARTY)], b"".join(words))
    for decoder in _static_decoders():
        result = decoder.decode(log)
        assert isinstance(result, UndecodedLog)
        assert "Static does not decode" in result.reason
