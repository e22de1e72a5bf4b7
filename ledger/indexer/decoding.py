"""Decoding raw ``eth_getLogs`` entries into coopledger events, with a decoder cached per event topic.

The indexer reads logs as raw JSON-RPC dictionaries (web3.py's per-log formatting costs ~20x, see
TOOLCHAIN.md) and decodes them here with eth-abi. Every log is accounted for: a log from a contract or with a
topic the manifest does not know, or whose data does not decode, comes back as an :class:`UndecodedLog`
with the reason — recorded and reported by the indexer, never dropped and never fatal.

Decoded argument values are JSON-ready: addresses checksummed, ``bytes``/``bytesN`` as ``0x`` hex, integers
as Python ``int`` (arbitrary precision), arrays as lists. An indexed argument of a dynamic type (string,
bytes, array) is only its keccak hash on chain and is kept as that hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ledger.protocol.manifest import DeploymentManifest

__all__ = ["DecodedEvent", "EventDecoder", "LogPosition", "UndecodedLog"]

_DYNAMIC_SUFFIXES = ("[]", "]")


@dataclass(frozen=True, slots=True)
class LogPosition:
    """Where a log sits in the chain: enough to find it again and to order it."""

    block_number: int
    block_hash: str
    tx_hash: str
    tx_index: int
    log_index: int

    @classmethod
    def from_raw(cls, log: Mapping[str, Any]) -> LogPosition:
        """Read the position of a raw JSON-RPC log (hex quantities) or a web3 log (ints and bytes)."""
        return cls(
            block_number=_quantity(log["blockNumber"]),
            block_hash=_hex(log["blockHash"]),
            tx_hash=_hex(log["transactionHash"]),
            tx_index=_quantity(log["transactionIndex"]),
            log_index=_quantity(log["logIndex"]),
        )


@dataclass(frozen=True, slots=True)
class DecodedEvent:
    """One contract event, decoded: which contract, which event, its arguments by name, and its position."""

    contract: str
    address: str
    event: str
    args: dict[str, Any]
    position: LogPosition


@dataclass(frozen=True, slots=True)
class UndecodedLog:
    """A log the manifest cannot explain, with the reason and the raw topics and data to inspect it."""

    address: str
    topics: tuple[str, ...]
    data: str
    reason: str
    position: LogPosition


@dataclass(frozen=True, slots=True)
class _EventSpec:
    contract: str
    event: str
    indexed: tuple[tuple[str, str], ...]  # (name, type) of the indexed inputs, in order
    unindexed_names: tuple[str, ...]
    unindexed_types: tuple[str, ...]
    # one word decoder per indexed input, and per data word when every unindexed input is static and
    # elementary (None otherwise: eth_abi decodes those)
    topic_words: tuple[_WordDecoder | None, ...]
    data_words: tuple[_WordDecoder, ...] | None


class EventDecoder:
    """Decodes the raw logs of the contracts in a deployment manifest.

    Parameters
    ----------
    manifest
        The deployment: contract names, addresses and ABIs.

    fast
        Decode static elementary values (``uintN``, ``intN``, ``address``, ``bool``, ``bytesN``) straight from
        their 32-byte words, with the same checks as eth_abi's strict mode (range, padding); anything else
        goes to ``eth_abi.decode``. True by default; False decodes everything with eth_abi (the reference
        the tests compare the fast path with).

    Notes
    -----
    Lookup is by (address, topic0): a dictionary hit, then the spec's word decoders (or one
    ``eth_abi.decode`` of the data). The specs are built once, when the decoder is made. The word decoders
    exist for speed: eth_abi's general decoder costs ~100 us per log, which capped a backfill below
    10 000 events per second (bench/indexer.py).

    Example
    -------
    With a manifest and a raw log from ``eth_getLogs``::

        decoder = EventDecoder(manifest)
        decoder.decode(raw_log)  # DecodedEvent(contract='Agreements', event='RevenueDeposited', ...)
    """

    def __init__(self, manifest: DeploymentManifest, fast: bool = True) -> None:
        self._specs: dict[tuple[str, str], _EventSpec] = {}
        self._contracts: dict[str, str] = {}
        for name, deployment in manifest.contracts.items():
            address = deployment.address.lower()
            self._contracts[address] = name
            for entry in deployment.abi:
                if entry.get("type") != "event" or entry.get("anonymous"):
                    continue
                topic = "0x" + event_abi_to_log_topic(entry).hex()  # type: ignore[arg-type]
                inputs = entry.get("inputs", [])
                unindexed = [item for item in inputs if not item.get("indexed")]
                indexed = tuple((item["name"], _abi_type(item)) for item in inputs if item.get("indexed"))
                unindexed_types = tuple(_abi_type(item) for item in unindexed)
                data_words = tuple(_word_decoder(kind) if fast else None for kind in unindexed_types)
                self._specs[(address, topic)] = _EventSpec(
                    contract=name,
                    event=entry["name"],
                    indexed=indexed,
                    unindexed_names=tuple(item["name"] for item in unindexed),
                    unindexed_types=unindexed_types,
                    topic_words=tuple(
                        None if not fast or _is_hashed_when_indexed(kind) else _word_decoder(kind)
                        for _, kind in indexed
                    ),
                    data_words=None if None in data_words else data_words,  # type: ignore[arg-type]
                )

    @property
    def addresses(self) -> list[str]:
        """The checksummed addresses of every contract the decoder knows, for an ``eth_getLogs`` filter."""
        return [to_checksum_address(address) for address in self._contracts]

    def decode(self, log: Mapping[str, Any]) -> DecodedEvent | UndecodedLog:
        """Decode one raw log; never raises for a log it cannot explain (see :class:`UndecodedLog`)."""
        position = LogPosition.from_raw(log)
        address = _hex(log["address"]).lower()
        topics = tuple(_hex(topic) for topic in log["topics"])
        data = _hex(log["data"])

        def undecoded(reason: str) -> UndecodedLog:
            return UndecodedLog(_checksum(address), topics, data, reason, position)

        if address not in self._contracts:
            return undecoded("log from an address that is not in the deployment manifest")
        if not topics:
            return undecoded("anonymous log (no topics): the manifest's ABIs declare no anonymous event")
        spec = self._specs.get((address, topics[0]))
        if spec is None:
            return undecoded(f"{self._contracts[address]} declares no event with topic {topics[0]}")
        if len(topics) != len(spec.indexed) + 1:
            expected, found = len(spec.indexed), len(topics) - 1
            return undecoded(f"{spec.contract}.{spec.event} has {expected} indexed args, the log {found}")
        try:
            args = {
                name: _json_ready(kind, _decode_topic(kind, topic))
                if word is None
                else word(_topic_bytes(topic))
                for (name, kind), topic, word in zip(spec.indexed, topics[1:], spec.topic_words, strict=True)
            }
            args.update(_decode_data(spec, data))
        except (DecodingError, ValueError, OverflowError) as exc:
            return undecoded(f"{spec.contract}.{spec.event} does not decode: {exc}")
        return DecodedEvent(spec.contract, _checksum(address), spec.event, args, position)

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent | UndecodedLog]:
        """Decode a batch of logs, in the order given."""
        return [self.decode(log) for log in logs]


def _decode_data(spec: _EventSpec, data: str) -> dict[str, Any]:
    if spec.data_words is None:
        values = decode(list(spec.unindexed_types), HexBytes(data))
        return {
            name: _json_ready(kind, value)
            for name, kind, value in zip(spec.unindexed_names, spec.unindexed_types, values, strict=True)
        }
    raw = bytes.fromhex(data[2:])
    if len(raw) != 32 * len(spec.data_words):
        raise ValueError(f"expected {32 * len(spec.data_words)} bytes of data, found {len(raw)}")
    return {
        name: word(raw[32 * index : 32 * index + 32])
        for index, (name, word) in enumerate(zip(spec.unindexed_names, spec.data_words, strict=True))
    }


def _topic_bytes(topic: str) -> bytes:
    raw = bytes.fromhex(topic[2:])
    if len(raw) != 32:
        raise ValueError(f"a topic is 32 bytes, found {len(raw)}")
    return raw


_WordDecoder = Callable[[bytes], Any]

_checksum = lru_cache(maxsize=1 << 16)(to_checksum_address)


def _word_decoder(kind: str) -> _WordDecoder | None:
    """A decoder of one 32-byte ABI word of static elementary type ``kind`` to its JSON-ready value, with
    eth_abi's strict checks; None for any other type."""
    if kind == "address":

        def address(word: bytes) -> str:
            if any(word[:12]):
                raise ValueError("an address word has non-zero padding")
            return _checksum("0x" + word[12:].hex())

        return address
    if kind == "bool":

        def boolean(word: bytes) -> bool:
            value = int.from_bytes(word, "big")
            if value > 1:
                raise ValueError(f"a bool word holds {value}")
            return value == 1

        return boolean
    match = _ELEMENTARY.fullmatch(kind)
    if match is None:
        return None
    base, bits = match.group(1), int(match.group(2) or 256)
    if base == "uint":

        def unsigned(word: bytes) -> int:
            value = int.from_bytes(word, "big")
            if value >> bits:
                raise ValueError(f"{value} does not fit {kind}")
            return value

        return unsigned
    if base == "int":

        def signed(word: bytes) -> int:
            value = int.from_bytes(word, "big", signed=True)
            if not -(1 << (bits - 1)) <= value < 1 << (bits - 1):
                raise ValueError(f"{value} does not fit {kind}")
            return value

        return signed
    size = bits  # bytesN: the group holds N, in bytes

    def fixed_bytes(word: bytes) -> str:
        if any(word[size:]):
            raise ValueError(f"a {kind} word has non-zero padding")
        return "0x" + word[:size].hex()

    return fixed_bytes if 1 <= size <= 32 else None


_ELEMENTARY = re.compile(r"(uint|int|bytes)(\d+)?")


def _abi_type(item: Mapping[str, Any]) -> str:
    """The canonical type string of an ABI input, tuples expanded (``(uint256,address)[]``)."""
    kind: str = item["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(component) for component in item.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def _is_hashed_when_indexed(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith(_DYNAMIC_SUFFIXES) or kind.startswith("(")


def _decode_topic(kind: str, topic: str) -> Any:
    if _is_hashed_when_indexed(kind):
        return topic  # only the keccak hash of the value is on chain
    return decode([kind], HexBytes(topic))[0]


def _json_ready(kind: str, value: Any) -> Any:
    """Make a decoded value JSON-ready according to its ABI type."""
    if isinstance(value, str) and value.startswith("0x") and _is_hashed_when_indexed(kind):
        return value
    if kind.endswith("]"):
        element = kind[: kind.rindex("[")]
        return [_json_ready(element, item) for item in value]
    if kind.startswith("("):
        inner = _split_tuple(kind[1 : kind.rindex(")")])
        return [_json_ready(part, item) for part, item in zip(inner, value, strict=True)]
    if kind == "address":
        return to_checksum_address(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return value


def _split_tuple(inner: str) -> list[str]:
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(inner):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
    if inner:
        parts.append(inner[start:])
    return parts


def _hex(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = str(value)
    return text if text.startswith("0x") else "0x" + text


def _quantity(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(str(value), 16)
