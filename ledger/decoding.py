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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import event_abi_to_log_topic
from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ledger.manifest import DeploymentManifest

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


class EventDecoder:
    """Decodes the raw logs of the contracts in a deployment manifest.

    Parameters
    ----------
    manifest
        The deployment: contract names, addresses and ABIs.

    Notes
    -----
    Lookup is by (address, topic0): a dictionary hit, then one ``eth_abi.decode`` of the data. The specs are
    built once, when the decoder is made.

    Example
    -------
    >>> decoder = EventDecoder(manifest)  # doctest: +SKIP
    >>> decoder.decode(raw_log)  # doctest: +SKIP
    DecodedEvent(contract='Agreements', event='RevenueDeposited', ...)
    """

    def __init__(self, manifest: DeploymentManifest) -> None:
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
                self._specs[(address, topic)] = _EventSpec(
                    contract=name,
                    event=entry["name"],
                    indexed=tuple((item["name"], _abi_type(item)) for item in inputs if item.get("indexed")),
                    unindexed_names=tuple(item["name"] for item in unindexed),
                    unindexed_types=tuple(_abi_type(item) for item in unindexed),
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
            return UndecodedLog(to_checksum_address(address), topics, data, reason, position)

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
            values = decode(list(spec.unindexed_types), HexBytes(data))
            args = {
                name: _json_ready(kind, _decode_topic(kind, topic))
                for (name, kind), topic in zip(spec.indexed, topics[1:], strict=True)
            }
        except (DecodingError, ValueError, OverflowError) as exc:
            return undecoded(f"{spec.contract}.{spec.event} does not decode: {exc}")
        args.update(
            (name, _json_ready(kind, value))
            for name, kind, value in zip(spec.unindexed_names, spec.unindexed_types, values, strict=True)
        )
        return DecodedEvent(spec.contract, to_checksum_address(address), spec.event, args, position)

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent | UndecodedLog]:
        """Decode a batch of logs, in the order given."""
        return [self.decode(log) for log in logs]


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
