"""The audit digest and the check of stored events against the chain.

The digest recipe
-----------------
An auditor can recompute the digest from the chain alone (``scripts/audit_digest.py`` does, with web3 and the
deployment manifest's ABIs, without importing coopledger):

1. Fetch every log the manifest's contracts emitted from the earliest deployment block up to block ``N``
   (``eth_getLogs``), and decode each with its contract's ABI. Logs that do not decode are left out (the
   store lists them apart, as undecoded logs).
2. Order the events by (block number, log index).
3. Write one line per event, fields joined by ``|`` and the line ended by ``\\n``::

       block_number|block_hash|tx_hash|log_index|contract_address|contract_name|event_name|arguments

   - ``block_number`` and ``log_index`` in decimal; ``block_hash`` and ``tx_hash`` as lower-case ``0x`` hex;
   - ``contract_address`` checksummed (EIP-55); ``contract_name`` as in the manifest;
   - ``arguments``: the decoded arguments as JSON with keys sorted, no spaces (``separators=(",", ":")``),
     ASCII only (non-ASCII escaped as ``\\uXXXX``); integers as JSON numbers in full, addresses checksummed,
     ``bytes``/``bytesN`` as lower-case ``0x`` hex, arrays as JSON arrays, booleans as ``true``/``false``.
4. The digest is the SHA-256 of the UTF-8 bytes of all lines in order, as lower-case hex. With no event it is
   the SHA-256 of nothing (``e3b0c442…``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.exceptions import RangeTooLargeError
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import DecodedEvent, EventDecoder

__all__ = [
    "Digest",
    "Mismatch",
    "RangeChecked",
    "Verification",
    "digest",
    "event_line",
    "verify_events",
    "verify_everything",
    "verify_ranges",
]


def event_line(row: Mapping[str, Any]) -> str:
    """One event's line of the digest (see the module's docstring); ``row`` has the event table's fields."""
    arguments = json.dumps(row["args"], sort_keys=True, separators=(",", ":"))
    return (
        f"{row['block_number']}|{row['block_hash'].lower()}|{row['tx_hash'].lower()}|{row['log_index']}|"
        f"{row['address']}|{row['contract']}|{row['event']}|{arguments}\n"
    )


@dataclass(frozen=True)
class Digest:
    """The digest of ``events`` events up to ``to_block``; ``last``: the last one's (block, log index)."""

    to_block: int
    events: int
    sha256: str
    last: tuple[int, int] | None


def digest(rows: Iterable[Mapping[str, Any]], to_block: int) -> Digest:
    """The digest of ``rows`` — events in chain order, all of them up to ``to_block``. Streams."""
    hashed = hashlib.sha256()
    count, last = 0, None
    for row in rows:
        hashed.update(event_line(row).encode("utf-8"))
        count += 1
        last = (int(row["block_number"]), int(row["log_index"]))
    return Digest(to_block, count, hashed.hexdigest(), last)


@dataclass(frozen=True)
class Mismatch:
    """One disagreement between the store and the chain about the event at (tx hash, log index)."""

    tx_hash: str
    log_index: int
    block_number: int
    problem: str


@dataclass(frozen=True)
class Verification:
    """What a check of the store against the chain compared and found."""

    blocks: list[int]
    compared: int
    mismatches: list[Mismatch] = field(default_factory=list)


@dataclass(frozen=True)
class RangeChecked:
    """One range of blocks :func:`verify_ranges` compared: its events on each side, whether the two sides'
    digests of the range agreed, and (when they did not) every event they disagree about."""

    first: int
    last: int
    stored: int
    on_chain: int
    agreed: bool
    mismatches: list[Mismatch] = field(default_factory=list)


_COMPARED = ("block_number", "block_hash", "address", "contract", "event", "args")


def _chain_row(item: DecodedEvent) -> dict[str, Any]:
    return {
        "block_number": item.position.block_number,
        "block_hash": item.position.block_hash.lower(),
        "tx_hash": item.position.tx_hash.lower(),
        "log_index": item.position.log_index,
        "address": item.address,
        "contract": item.contract,
        "event": item.event,
        "args": json.loads(json.dumps(item.args)),  # as the store's JSON column gives them back
    }


def verify_events(
    reader: ChainReader,
    decoder: EventDecoder,
    stored: Sequence[Mapping[str, Any]],
    blocks: Sequence[int],
) -> Verification:
    """Fetch the logs of ``blocks`` from the chain and compare them with ``stored`` (every stored event of
    those blocks): an event only one side has, or whose block hash, contract, name or arguments differ,
    is a :class:`Mismatch`.
    """
    chain: dict[tuple[str, int], dict[str, Any]] = {}
    for start, end in _runs(sorted(set(blocks))):
        for row in _chain_rows(reader, decoder, start, end):
            chain[(row["tx_hash"], row["log_index"])] = row
    return Verification(sorted(set(blocks)), len(stored), _differences(stored, chain))


def verify_ranges(
    reader: ChainReader,
    decoder: EventDecoder,
    stored_between: Callable[[int, int], Sequence[Mapping[str, Any]]],
    first: int,
    last: int,
    range_blocks: int = 2_000,
) -> Iterator[RangeChecked]:
    """Compare every block of ``[first, last]`` with the chain, ``range_blocks`` at a time, yielding each
    range as it is done: each side's digest of a range (the audit digest's lines, :func:`event_line`)
    first, and only a range whose digests differ event by event, to name every altered, missing or extra
    event. ``stored_between(a, b)`` gives the stored events of blocks ``a..b`` in chain order. Memory and
    each request grow with a range, not with the chain; an empty range (``last < first``) yields nothing.

    Unlike a sample, nothing is left out: an event altered or deleted anywhere is found.
    """
    for start in range(first, last + 1, range_blocks):
        end = min(start + range_blocks - 1, last)
        stored = list(stored_between(start, end))
        chain = _chain_rows(reader, decoder, start, end)
        agreed = digest(stored, end).sha256 == digest(chain, end).sha256
        found = (
            [] if agreed else _differences(stored, {(row["tx_hash"], row["log_index"]): row for row in chain})
        )
        found.sort(key=lambda item: (item.block_number, item.log_index))
        yield RangeChecked(start, end, len(stored), len(chain), agreed, found)


def verify_everything(
    reader: ChainReader,
    decoder: EventDecoder,
    stored_between: Callable[[int, int], Sequence[Mapping[str, Any]]],
    first: int,
    last: int,
    range_blocks: int = 2_000,
    on_range: Callable[[RangeChecked], None] | None = None,
) -> Verification:
    """:func:`verify_ranges` gathered into one :class:`Verification`; ``on_range`` is told of each range as
    it is done (progress)."""
    mismatches: list[Mismatch] = []
    compared = 0
    for checked in verify_ranges(reader, decoder, stored_between, first, last, range_blocks):
        mismatches += checked.mismatches
        compared += checked.stored
        if on_range is not None:
            on_range(checked)
    return Verification(list(range(first, last + 1)), compared, mismatches)


def _chain_rows(reader: ChainReader, decoder: EventDecoder, first: int, last: int) -> list[dict[str, Any]]:
    """The decoded events of blocks ``first..last`` on the chain, in chain order, as the store keeps them; a
    range the node refuses as too large is fetched in halves."""
    try:
        logs = reader.logs(decoder.addresses, first, last)
    except RangeTooLargeError:
        if first == last:
            raise
        middle = (first + last) // 2
        return _chain_rows(reader, decoder, first, middle) + _chain_rows(reader, decoder, middle + 1, last)
    return [_chain_row(item) for item in decoder.decode_all(logs) if isinstance(item, DecodedEvent)]


def _differences(
    stored: Sequence[Mapping[str, Any]], chain: Mapping[tuple[str, int], Mapping[str, Any]]
) -> list[Mismatch]:
    """Every event only one side has, or whose block hash, contract, name or arguments differ."""
    found = []
    mine = {(row["tx_hash"].lower(), int(row["log_index"])): row for row in stored}
    for key, row in mine.items():
        other = chain.get(key)
        if other is None:
            found.append(Mismatch(*key, int(row["block_number"]), "in the store but not on the chain"))
            continue
        differing = [name for name in _COMPARED if _normal(row, name) != other[name]]
        if differing:
            found.append(Mismatch(*key, int(row["block_number"]), "differs in " + ", ".join(differing)))
    for key, other in chain.items():
        if key not in mine:
            found.append(Mismatch(*key, int(other["block_number"]), "on the chain but not in the store"))
    found.sort(key=lambda item: (item.block_number, item.log_index))
    return found


def _normal(row: Mapping[str, Any], name: str) -> Any:
    value = row[name]
    return value.lower() if name == "block_hash" else value


def _runs(numbers: Sequence[int]) -> Iterable[tuple[int, int]]:
    """Consecutive runs of sorted ``numbers`` as (first, last) pairs, so each run is one eth_getLogs."""
    start = previous = None
    for number in numbers:
        if start is None:
            start = previous = number
        elif number == previous + 1:  # type: ignore[operator]
            previous = number
        else:
            yield start, previous  # type: ignore[misc]
            start = previous = number
    if start is not None:
        yield start, previous  # type: ignore[misc]
