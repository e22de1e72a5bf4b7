"""A range of the chain made ready for the store: every row already in the form the database driver takes.

Preparing (serialising arguments to JSON, picking the events the projections fold, attaching block times)
is pure work that needs no database, so the indexer can do it in a separate process while the store writes
the previous range (:mod:`ledger.indexer.prefetch`); what crosses between the processes is plain tuples,
cheap to pickle. :meth:`ledger.store.Store.commit_prepared` writes a prepared range in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.indexer.decoding import DecodedEvent, UndecodedLog
from ledger.protocol.events import FOLDED_EVENTS
from ledger.types import BlockHeader, LedgerEvent

__all__ = [
    "BLOCK_COLUMNS",
    "EVENT_COLUMNS",
    "UNDECODED_COLUMNS",
    "PreparedRange",
    "event_parties",
    "prepare_range",
]

BLOCK_COLUMNS = ("number", "hash", "parent_hash", "timestamp")
_POSITION_COLUMNS = ("chain_id", "address", "block_number", "block_hash", "tx_hash", "tx_index", "log_index")
EVENT_COLUMNS = ("contract", "event", "args", "parties", *_POSITION_COLUMNS)
UNDECODED_COLUMNS = ("topics", "data", "reason", *_POSITION_COLUMNS)


@dataclass(frozen=True, slots=True)
class PreparedRange:
    """One indexed range as rows: ``blocks`` (:data:`BLOCK_COLUMNS`, one per block with logs and the last
    block), ``events`` (:data:`EVENT_COLUMNS`, arguments as JSON text), ``folded`` (the fields of a
    :class:`~ledger.types.LedgerEvent`, for each event the projections fold, in chain order) and
    ``undecoded`` (:data:`UNDECODED_COLUMNS`, topics as JSON text); ``end`` is the new checkpoint."""

    chain_id: int
    end: BlockHeader
    blocks: list[tuple[int, str, str, int]]
    events: list[tuple[Any, ...]]
    folded: list[tuple[Any, ...]]
    undecoded: list[tuple[Any, ...]]

    def folded_events(self) -> list[LedgerEvent]:
        """The events the projections fold, as :class:`~ledger.types.LedgerEvent`."""
        return [LedgerEvent(*fields) for fields in self.folded]


def prepare_range(
    chain_id: int,
    headers: Sequence[BlockHeader],
    decoded: Sequence[DecodedEvent],
    undecoded: Sequence[UndecodedLog],
    end: BlockHeader,
) -> PreparedRange:
    """The rows of one range: ``headers`` must include the block of every event; ``end`` is the range's last
    block (the new checkpoint).

    Raises
    ------
    ValueError
        If a log's block is not among ``headers``.
    TypeError
        If an argument cannot be stored as JSON.
    """
    by_number = {header.number: header for header in (*headers, end)}
    times = {number: header.timestamp for number, header in by_number.items()}
    dumps = json.JSONEncoder(separators=(",", ":")).encode  # what the JSON column would write
    events, folded = [], []
    for item in decoded:
        position = item.position
        timestamp = _time_of(times, position.block_number)
        events.append(
            (
                item.contract,
                item.event,
                dumps(item.args),
                event_parties(item.args),
                *_position(chain_id, item),
            )
        )
        if (item.contract, item.event) in FOLDED_EVENTS:
            folded.append(
                (
                    item.contract,
                    item.event,
                    item.args,
                    position.block_number,
                    position.block_hash,
                    timestamp,
                    position.tx_hash,
                    position.log_index,
                )
            )
    for log in undecoded:
        _time_of(times, log.position.block_number)
    folded.sort(key=lambda fields: (fields[3], fields[7]))
    return PreparedRange(
        chain_id=chain_id,
        end=end,
        blocks=[
            (header.number, header.hash, header.parent_hash, header.timestamp)
            for _, header in sorted(by_number.items())
        ],
        events=events,
        folded=folded,
        undecoded=[_undecoded_row(chain_id, item) for item in undecoded],
    )


def event_parties(args: dict[str, Any]) -> str:
    """Every address among an event's arguments (arrays included), lower-case, sorted, each between ``|``:
    ``"|0xab…|0xcd…|"`` (``""`` when none). Stored with the event so that the audit history can be filtered
    by any party with a portable ``LIKE '%|0x…|%'``."""
    found: set[str] = set()
    for value in args.values():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, str) and len(item) == 42 and item[:2] == "0x":
                found.add(item.lower())
    return "|" + "|".join(sorted(found)) + "|" if found else ""


def _time_of(times: dict[int, int], block_number: int) -> int:
    if block_number not in times:
        raise ValueError(f"a log of block {block_number} came without that block's header")
    return times[block_number]


def _undecoded_row(chain_id: int, item: UndecodedLog) -> tuple[Any, ...]:
    return (json.dumps(list(item.topics)), item.data, item.reason, *_position(chain_id, item))


def _position(chain_id: int, item: DecodedEvent | UndecodedLog) -> tuple[Any, ...]:
    """The values of :data:`_POSITION_COLUMNS` for ``item``."""
    position = item.position
    return (
        chain_id,
        item.address,
        position.block_number,
        position.block_hash,
        position.tx_hash,
        position.tx_index,
        position.log_index,
    )
