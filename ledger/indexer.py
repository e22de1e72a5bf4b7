"""The indexer: mirrors every event of the manifest's contracts into the store, reorg- and crash-safe.

One pass (:meth:`Indexer.sync`) brings the store to the chain's head minus the confirmations depth:

1. Reorg check: the stored checkpoint's hash is compared with the chain's block at that height; on a
   mismatch the indexer walks back over the stored blocks to the newest one the chain still has (the fork
   point) and deletes everything above it.
2. Backfill from the checkpoint (or each contract's deployment block) in adaptive ranges: a range that
   returns few logs doubles the next one (up to ``max_batch_blocks``), one with many halves it (bounding
   memory); a range the node refuses as too large is halved and retried.
3. Each range's logs and block headers are fetched (headers in one batch request), decoded, checked against
   the logs' block hashes (a mismatch means the chain moved under us: the range is read again), and
   committed with the checkpoint in one transaction.

Fetching is not pipelined: a thread overlapping the next range's fetch with this one's commit gained
nothing measurable (JSON parsing and decoding hold the GIL), and a second process lost more to pickling
the decoded events than it gained (bench/indexer.py, see README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ledger.chain import ChainReader
from ledger.decoding import DecodedEvent, EventDecoder, UndecodedLog
from ledger.exceptions import ChainError, ManifestError, RangeTooLargeError
from ledger.manifest import DeploymentManifest
from ledger.store import Store
from ledger.types import BlockHeader

__all__ = ["Indexer", "SyncReport", "verify_deployment"]

TARGET_LOGS = 20_000  # ranges are sized to hold about this many logs: few round trips, bounded memory


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


class Indexer:
    """Indexes the contracts of ``manifest`` from ``reader`` into ``store``."""

    def __init__(
        self,
        reader: ChainReader,
        store: Store,
        manifest: DeploymentManifest,
        confirmations: int = 0,
        batch_blocks: int = 100,
        max_batch_blocks: int = 100_000,
    ) -> None:
        self.reader = reader
        self.store = store
        self.manifest = manifest
        self.decoder = EventDecoder(manifest)
        self.confirmations = confirmations
        self.batch_blocks = batch_blocks
        self.max_batch_blocks = max(max_batch_blocks, batch_blocks)

    def sync(self, on_progress: ProgressCallback | None = None) -> SyncReport:
        """Bring the store up to the head minus the confirmations depth; return what was done."""
        rolled_back = self._handle_reorg()
        target = self.reader.head() - self.confirmations
        first = self._next_block()
        events = undecoded = 0
        fetched = self._ranges(first, target)
        for batch in fetched:
            committed = self._commit(batch)
            if committed is None:  # the chain moved under this range: check, read again from the store's end
                rolled_back += self._handle_reorg()
                fetched = self._ranges(self._next_block(), target)
                continue
            events += committed[0]
            undecoded += committed[1]
            if on_progress is not None:
                on_progress(batch.end, target, events)
        return SyncReport(first, max(first - 1, target), events, undecoded, rolled_back)

    def _next_block(self) -> int:
        checkpoint = self.store.checkpoint()
        return checkpoint.block_number + 1 if checkpoint else self.manifest.start_block

    def _ranges(self, start: int, target: int) -> Iterator[_Fetched]:
        """The ranges from ``start`` to ``target``, fetched and decoded, in adaptive sizes."""
        size = self.batch_blocks
        while start <= target:
            try:
                batch = _fetch(self.reader, self.decoder, start, min(start + size - 1, target))
            except RangeTooLargeError:
                if size == 1:
                    raise
                size = max(1, size // 2)
                continue
            size = _next_size(size, len(batch.items), self.max_batch_blocks)
            start = batch.end + 1
            yield batch

    def _commit(self, batch: _Fetched) -> tuple[int, int] | None:
        items, headers = batch.items, batch.headers
        if any(item.position.block_hash != headers[item.position.block_number].hash for item in items):
            return None
        decoded = [item for item in items if isinstance(item, DecodedEvent)]
        unexplained = [item for item in items if isinstance(item, UndecodedLog)]
        with_logs = [header for number, header in sorted(headers.items()) if number != batch.end]
        self.store.commit_range(self.manifest.chain_id, with_logs, decoded, unexplained, headers[batch.end])
        return len(decoded), len(unexplained)

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


def _fetch(reader: ChainReader, decoder: EventDecoder, start: int, end: int) -> _Fetched:
    """The decoded logs of ``[start, end]`` and the headers of their blocks and of ``end``."""
    logs = reader.logs(decoder.addresses, start, end)
    numbers = sorted({int(log["blockNumber"], 16) for log in logs} | {end})
    headers = {header.number: header for header in reader.headers(numbers)}
    return _Fetched(end, decoder.decode_all(logs), headers)


@dataclass(frozen=True, slots=True)
class _Fetched:
    """One range as fetched from the chain: its decoded logs and the headers of their blocks (and of end)."""

    end: int
    items: list[DecodedEvent | UndecodedLog]
    headers: dict[int, BlockHeader]
