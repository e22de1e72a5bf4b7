"""The indexer: mirrors every event of the manifest's contracts into the store, reorg- and crash-safe.

One pass (:meth:`Indexer.sync`) brings the store to the chain's head minus the confirmations depth:

1. Reorg check: the stored checkpoint's hash is compared with the chain's block at that height; on a
   mismatch the indexer walks back over the stored blocks to the newest one the chain still has (the fork
   point) and deletes everything above it.
2. Backfill from the checkpoint (or each contract's deployment block) in adaptive ranges: a range that
   returns few logs doubles the next one (up to ``max_batch_blocks``), one with many halves it (bounding
   memory); a range the node refuses as too large is halved and retried.
3. Each range's logs and block headers are fetched (headers in one batch request), then cut into slices of
   about :data:`SLICE_LOGS` logs that never split a block. Each slice is decoded, checked against the
   headers' hashes (a mismatch means the chain moved under us: the rest of the range is read again),
   prepared as rows (:mod:`ledger.indexer.prepared`) and committed with the checkpoint (its last block) in one
   transaction. Slices let the writes start before a whole range is decoded and keep each commit's size
   steady however dense the range.

When there is more than one range to read (a backfill), two forked reading processes take turns over the
chunks ahead of the writes (:mod:`ledger.indexer.prefetch`), so reading, decoding and writing run at the same
time.
What crosses between the processes is prepared rows (plain tuples), cheap to pickle. A thread instead gained
nothing (decoding and writing both hold the GIL); one reading process left the writer waiting for it;
following the head reads one small range at a time and stays in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from ledger.exceptions import ChainError, ManifestError, RangeTooLargeError
from ledger.indexer.chain import ChainReader
from ledger.indexer.decoding import DecodedEvent, EventDecoder, UndecodedLog
from ledger.indexer.prefetch import leapfrogged
from ledger.indexer.prepared import PreparedRange, prepare_range
from ledger.protocol.manifest import DeploymentManifest
from ledger.types import BlockHeader, Checkpoint

__all__ = ["EventSink", "Indexer", "SyncReport", "verify_deployment"]

SLICE_LOGS = 5_000  # about this many logs per commit: larger commits rewrite fewer index pages (the
# unique index on random transaction hashes), smaller ones let the writes start sooner
TARGET_LOGS = 5_000  # ranges are sized to hold about this many logs: few round trips, bounded memory,
# and ranges small enough that reading ahead (ledger.indexer.prefetch) overlaps the writes well


def _next_size(size: int, logs: int, largest: int) -> int:
    """The next range's size in blocks: scaled toward :data:`TARGET_LOGS` by this range's density, at most
    doubling (a sparse stretch says little about what follows) and at least halving."""
    wanted = size * TARGET_LOGS // max(logs, 1)
    return max(1, min(wanted, size * 2, largest), size // 2)


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one :meth:`Indexer.sync` did."""

    from_block: int
    to_block: int
    events: int
    undecoded: int
    rolled_back_events: int


ProgressCallback = Callable[[int, int, int], None]  # (indexed up to block, target block, events so far)


def verify_deployment(reader: ChainReader, manifest: DeploymentManifest) -> None:
    """Check that ``reader``'s chain is the manifest's and that every contract is deployed where it says.

    Raises
    ------
    ManifestError
        If the chain id differs or an address holds no code; the message names the contract.
    """
    chain_id = reader.chain_id()
    if chain_id != manifest.chain_id:
        expected, node = manifest.chain_id, reader.rpc_url
        raise ManifestError(
            f"The manifest is for chain {expected} but {node} is chain {chain_id}: point "
            "COOPLEDGER_RPC_URL at the right node or COOPLEDGER_MANIFEST at the right manifest."
        )
    for name, deployment in sorted(manifest.contracts.items()):
        if reader.code_at(deployment.address) in ("0x", ""):
            raise ManifestError(
                f"The manifest says {name} is at {deployment.address}, but there is no contract there on "
                f"chain {chain_id}. Deploy again or fix the manifest."
            )


class EventSink(Protocol):
    """Where the indexer writes (:class:`ledger.store.Store` is one): atomically, with the checkpoint."""

    def record_deployment(self, manifest: DeploymentManifest) -> None: ...

    def checkpoint(self) -> Checkpoint | None: ...

    def event_count(self) -> int: ...

    def stored_blocks(self, at_or_below: int) -> Iterable[BlockHeader]: ...

    def commit_prepared(self, prepared: PreparedRange) -> None: ...

    def rollback_to(self, fork_point: BlockHeader, chain_id: int) -> int: ...

    def assets_without_metadata(self) -> list[str]: ...

    def record_asset_metadata(
        self, address: str, symbol: str | None, name: str | None, decimals: int | None, read_block: int
    ) -> None: ...


class Indexer:
    """Indexes the contracts of ``manifest`` from ``reader`` into ``store`` (recording ``manifest`` there
    first: the store knows which deployment, with which contract facts, its events come from)."""

    def __init__(
        self,
        reader: ChainReader,
        store: EventSink,
        manifest: DeploymentManifest,
        confirmations: int = 0,
        batch_blocks: int = 100,
        max_batch_blocks: int = 100_000,
        prefetch: bool = True,
    ) -> None:
        self.reader = reader
        self.store = store
        self.manifest = manifest
        store.record_deployment(manifest)
        self.decoder = EventDecoder(manifest)
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.max_batch_blocks = max(max_batch_blocks, batch_blocks)
        self.prefetch = prefetch  # read a backfill in a child process (see the module's docstring)

    def sync(self, on_progress: ProgressCallback | None = None) -> SyncReport:
        """Bring the store up to the head minus the confirmations depth; return what was done."""
        rolled_back = self._handle_reorg()
        target = self.reader.head() - self.confirmations
        first = start = self._next_block()
        events = undecoded = 0
        while start <= target:
            ranges = self._prepared_ranges(start, target)
            try:
                for prepared in ranges:
                    if prepared is None:  # the chain moved under this range: check, read again
                        break
                    self.store.commit_prepared(prepared)
                    events += len(prepared.events)
                    undecoded += len(prepared.undecoded)
                    if on_progress is not None:
                        on_progress(prepared.end.number, target, events)
                else:
                    break
            finally:
                ranges.close()
            rolled_back += self._handle_reorg()
            start = self._next_block()
        self._read_asset_metadata(target)
        return SyncReport(first, max(first - 1, target), events, undecoded, rolled_back)

    def _read_asset_metadata(self, head: int) -> None:
        """Read the symbol, name and decimals of every asset not read yet (once per asset: an ERC-20's
        metadata does not change). A node that does not answer leaves the rest for the next sync."""
        for address in self.store.assets_without_metadata():
            found = self.reader.token_metadata(address)
            self.store.record_asset_metadata(address, found.symbol, found.name, found.decimals, head)

    def _next_block(self) -> int:
        checkpoint = self.store.checkpoint()
        return checkpoint.block_number + 1 if checkpoint else self.manifest.start_block

    def _prepared_ranges(self, start: int, target: int) -> Generator[PreparedRange | None, None, int | None]:
        """The ranges from ``start`` to ``target``, read and prepared: in a child process while the store
        writes (:mod:`ledger.indexer.prefetch`) when there is more than one range to read, here otherwise."""
        produce = partial(
            _prepare_ranges,
            self.reader,
            self.decoder,
            self.manifest.chain_id,
            start,
            target,
            self.batch_blocks,
            self.max_batch_blocks,
        )
        if self.prefetch and target - start + 1 > self.batch_blocks:
            return leapfrogged(
                partial(_read_chunk, self.reader, self.decoder, self.manifest.chain_id),
                start,
                target,
                self.batch_blocks,
                partial(_next_size, largest=self.max_batch_blocks),
                self.reader.reconnect,
            )
        return produce()

    def _handle_reorg(self) -> int:
        """Roll the store back to the fork point if the chain no longer has the checkpoint block."""
        checkpoint = self.store.checkpoint()
        if checkpoint is None:
            return 0
        head = self.reader.head()
        if checkpoint.block_number <= head and self._canonical(
            checkpoint.block_number, checkpoint.block_hash
        ):
            return 0
        for stored in self.store.stored_blocks(min(checkpoint.block_number, head)):
            if self._canonical(stored.number, stored.hash):
                return self.store.rollback_to(stored, self.manifest.chain_id)
        before_start = max(self.manifest.start_block - 1, 0)
        return self.store.rollback_to(self._header(before_start), self.manifest.chain_id)

    def _canonical(self, number: int, block_hash: str) -> bool:
        try:
            return self._header(number).hash == block_hash
        except ChainError:
            return False

    def _header(self, number: int) -> BlockHeader:
        return self.reader.headers([number])[0]


def _read_chunk(
    reader: ChainReader, decoder: EventDecoder, chain_id: int, first: int, last: int
) -> Generator[PreparedRange | None, None, int]:
    """One reading process's chunk ``[first, last]``: read whole if the node allows (halved if it refuses),
    prepared; returns how many logs it held (the next chunk's size follows from it)."""
    size = last - first + 1
    return (yield from _prepare_ranges(reader, decoder, chain_id, first, last, size, size))


def _prepare_ranges(
    reader: ChainReader,
    decoder: EventDecoder,
    chain_id: int,
    start: int,
    target: int,
    batch_blocks: int,
    max_batch_blocks: int,
) -> Generator[PreparedRange | None, None, int]:
    """Each range from ``start`` to ``target`` in adaptive sizes, read and prepared for the store; ``None``
    (and the end) if a log's block hash is not the block's: the chain moved under the range. Returns how
    many logs were read."""
    size, logs_read = batch_blocks, 0
    while start <= target:
        end = min(start + size - 1, target)
        try:
            logs = reader.logs(decoder.addresses, start, end)
        except RangeTooLargeError:
            if size == 1:
                raise
            size = max(1, size // 2)
            continue
        numbers = sorted({int(log["blockNumber"], 16) for log in logs} | {end})
        headers = {header.number: header for header in reader.headers(numbers)}
        logs_read += len(logs)
        for piece, last in _block_slices(logs, SLICE_LOGS, end):
            items = decoder.decode_all(piece)
            if any(item.position.block_hash != headers[item.position.block_number].hash for item in items):
                yield None
                return logs_read
            decoded = [item for item in items if isinstance(item, DecodedEvent)]
            unexplained = [item for item in items if isinstance(item, UndecodedLog)]
            with_logs = [headers[number] for number in sorted({item.position.block_number for item in items})]
            yield prepare_range(chain_id, with_logs, decoded, unexplained, headers[last])
        size = _next_size(size, len(logs), max_batch_blocks)
        start = end + 1
    return logs_read


def _block_slices(
    logs: list[dict[str, Any]], most: int, end: int
) -> Iterator[tuple[list[dict[str, Any]], int]]:
    """A range's ``logs`` (in chain order; the range ends at block ``end``) in consecutive pieces of about
    ``most`` logs that never split a block's logs, each with the block it ends at (the last piece: ``end``).
    """
    start = 0
    while len(logs) - start > most:
        cut = start + most
        block = logs[cut - 1]["blockNumber"]
        while cut < len(logs) and logs[cut]["blockNumber"] == block:
            cut += 1
        if cut == len(logs):
            break
        yield logs[start:cut], int(block, 16)
        start = cut
    yield logs[start:], end
