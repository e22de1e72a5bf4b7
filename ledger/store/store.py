"""The event store: opens (and migrates) the database, writes indexed ranges atomically, rolls back reorgs.

Every write of the indexer goes through :meth:`Store.commit_prepared` (:meth:`Store.commit_range` prepares
the rows first), which inserts the range's block headers, events and undecoded logs, folds the new events
into the projections and moves the checkpoint in one database transaction: after a crash at any instant the
store holds either all of a range or none of it, and re-writing a range inserts nothing twice (rows are
unique on transaction hash and log index; only events above the checkpoint are folded). A rollback deletes
everything above the fork point and rebuilds the projections from the events that remain, in one
transaction too.

One indexer writes a store at a time (readers, such as the API, are any number): while writing, the store
keeps the projection rows that grow with the consortium (members, agreements, parties, versions, programs)
in memory as committed, and reads them again after any failed write.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from ledger.exceptions import StoreError, StoreUnavailableError
from ledger.indexer.decoding import DecodedEvent, UndecodedLog
from ledger.indexer.prepared import (
    BLOCK_COLUMNS,
    EVENT_COLUMNS,
    UNDECODED_COLUMNS,
    PreparedRange,
    prepare_range,
)
from ledger.protocol.manifest import DeploymentManifest
from ledger.settings import redact_url
from ledger.store.dialects import dialect_insert, insert_ignoring_duplicates
from ledger.store.notifications import Notifications
from ledger.store.projections import TABLE_KEYS, Projections, referral_keys
from ledger.store.schema import (
    PROJECTION_TABLES,
    asset_metadata,
    assets,
    blocks,
    checkpoint,
    deployment,
    events,
    head_figures,
    referrals,
    undecoded_logs,
)
from ledger.types import BlockHeader, Checkpoint, LedgerEvent

__all__ = ["SharedFigures", "Store"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_KEYS_PER_QUERY = 500  # bound the IN lists: SQLite allows a limited number of parameters per statement
_STREAM_ROWS = 5_000
#: The PostgreSQL advisory lock the migrations run under ("coopledg" in ASCII, as a 64-bit key); see
#: :func:`_migrating_alone`.
_MIGRATION_LOCK = 0x636F6F706C656467
#: How many computations of the head's figures the store keeps (:meth:`Store.share_figures`).
_SHARED_FIGURES_KEPT = 32
_CACHED_TABLES = ("members", "assets", "agreements", "agreement_parties", "agreement_versions", "programs")


@dataclass(frozen=True)
class SharedFigures:
    """One computation of the head's figures as the leading metrics worker shared it (:mod:`api.worker`):
    the block and change keys it is for, who computed it and when (Unix time), and the figures' JSON."""

    id: int
    block: int
    key: tuple[int, str]
    global_key: tuple[int, str]
    computed_by: str
    computed_at: float
    figures: str


def _shared_figures(row: Any) -> SharedFigures:
    """A ``head_figures`` row as :class:`SharedFigures` (``figures`` empty when the row left it out)."""
    return SharedFigures(
        int(row["id"]),
        int(row["block"]),
        (int(row["key_block"]), str(row["key_hash"])),
        (int(row["global_key_block"]), str(row["global_key_hash"])),
        str(row["computed_by"]),
        float(row["computed_at"]),
        str(row.get("figures", "")),
    )


class Store:
    """An open event store. Use :meth:`open`; close with :meth:`close` (or as a context manager)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._leading: Connection | None = None  # the session holding a lead (:meth:`try_lead`)
        # the projection tables that grow with the consortium (not with its activity), as committed: loaded
        # by the first write, kept up to date by the writes that follow
        self._projections: Projections | None = None
        self._deployment: tuple[str, DeploymentManifest] | None = None  # (its JSON, parsed), as last read

    @classmethod
    def open(cls, url: str) -> Store:
        """Open the store at SQLAlchemy ``url``: make an SQLite file's folder, migrate to the newest schema.

        Raises
        ------
        StoreError
            If the database cannot be opened or migrated; the message names the URL (password hidden).
            :class:`~ledger.exceptions.StoreUnavailableError` when its server does not answer.
        """
        try:
            engine = _create_engine(url)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                f"Cannot open the event store {redact_url(url)}: {_reason(exc)}. Check COOPLEDGER_STORE_URL."
            ) from None
        try:
            with _migrating_alone(engine), engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
                config = Config()
                config.set_main_option("script_location", str(_MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except StoreUnavailableError as exc:
            engine.dispose()
            raise StoreUnavailableError(
                f"Cannot open the event store {redact_url(url)}: it does not answer ({exc.reason}). Check "
                "COOPLEDGER_STORE_URL, and that the database server is running.",
                exc.reason,
            ) from None
        except (SQLAlchemyError, OSError) as exc:
            engine.dispose()
            raise StoreError(
                f"Cannot open the event store {redact_url(url)}: {_reason(exc)}. Check COOPLEDGER_STORE_URL."
            ) from None
        return cls(engine)

    def close(self) -> None:
        """Release the database connections (and any lead this store holds)."""
        if self._leading is not None:
            self._leading.close()
            self._leading = None
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------ reading

    def checkpoint(self) -> Checkpoint | None:
        """The last fully indexed block, or None before the first range."""
        with self._engine.connect() as connection:
            row = connection.execute(select(checkpoint).where(checkpoint.c.id == 1)).first()
        return None if row is None else Checkpoint(row.chain_id, row.block_number, row.block_hash)

    def deployment(self) -> DeploymentManifest | None:
        """The deployment manifest the store is indexed with (:meth:`record_deployment`), None before."""
        with self._engine.connect() as connection:
            text = connection.execute(select(deployment.c.manifest).where(deployment.c.id == 1)).scalar()
        if text is None:
            return None
        if self._deployment is None or self._deployment[0] != text:
            self._deployment = (text, DeploymentManifest.model_validate_json(text))
        return self._deployment[1]

    def agreement_kinds(self) -> tuple[str, ...]:
        """``Agreements.Kind``'s members in their one spelling, from the recorded deployment (none before)."""
        return _agreement_kinds(self.deployment())

    def stored_blocks(self, at_or_below: int) -> Iterator[BlockHeader]:
        """Stored block headers at or below ``at_or_below``, newest first (to walk back to a fork point)."""
        query = select(blocks).where(blocks.c.number <= at_or_below).order_by(blocks.c.number.desc())
        with self._engine.connect() as connection:
            for row in connection.execute(query):
                yield BlockHeader(row.number, row.hash, row.parent_hash, row.timestamp)

    def event_count(self) -> int:
        """Number of decoded events stored."""
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(events)).scalar_one())

    def event_rows(self) -> list[dict[str, Any]]:
        """Every stored event in chain order (block, log index), as dictionaries."""
        query = select(events).order_by(events.c.block_number, events.c.log_index)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def events_between(
        self, after_block: int, up_to_block: int, only: Collection[tuple[str, str]] | None = None
    ) -> Iterator[LedgerEvent]:
        """Stored events with ``after_block < block <= up_to_block`` in chain order, with their block's time;
        with ``only``, just the events whose (contract, event) pair is in it (a fold that reads a few kinds
        of events is not handed, say, every token transfer).

        Streams (the history is never held in memory at once).
        """
        with self._engine.connect() as connection:
            yield from _stream_events(connection, after_block, up_to_block, only)

    @property
    def notifications(self) -> Notifications:
        """The alert log, the alert monitor's checkpoint and the webhook deliveries
        (:mod:`ledger.store.notifications`)."""
        return Notifications(self._engine)

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for read-only queries (:mod:`ledger.store.queries`), closed on exit."""
        with self._engine.connect() as connection:
            yield connection

    def block_at_or_below(self, number: int) -> BlockHeader | None:
        """The newest stored block header at or below ``number``, or None."""
        query = select(blocks).where(blocks.c.number <= number).order_by(blocks.c.number.desc()).limit(1)
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else BlockHeader(row.number, row.hash, row.parent_hash, row.timestamp)

    def last_change(self, at_or_below: int, read: Collection[tuple[str, str]]) -> tuple[int, str] | None:
        """The block number and hash of the newest stored event at or below block ``at_or_below`` among the
        (contract, event) pairs ``read``, or None: the last change of whatever reads only those events.
        One seek down the (contract, event, block, log index) index per pair, in one query."""
        if not read:
            return None
        newest = [
            select(events.c.block_number, events.c.log_index, events.c.block_hash)
            .where(events.c.contract == owner, events.c.event == name, events.c.block_number <= at_or_below)
            .order_by(events.c.block_number.desc(), events.c.log_index.desc())
            .limit(1)
            .subquery()
            for owner, name in sorted(read)
        ]
        candidates = union_all(*(select(part) for part in newest)).subquery()
        query = (
            select(candidates.c.block_number, candidates.c.block_hash)
            .order_by(candidates.c.block_number.desc(), candidates.c.log_index.desc())
            .limit(1)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (int(row.block_number), str(row.block_hash))

    def block_hash(self, number: int) -> str | None:
        """The stored hash of block ``number``, or None if the store has no such block."""
        with self._engine.connect() as connection:
            value = connection.execute(select(blocks.c.hash).where(blocks.c.number == number)).scalar()
        return None if value is None else str(value)

    def projection_rows(self, table: str) -> list[dict[str, Any]]:
        """Every row of projection ``table`` (see :mod:`ledger.store.projections`), in key order."""
        projection = PROJECTION_TABLES[table]
        query = select(projection).order_by(*(projection.c[key] for key in TABLE_KEYS[table]))
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # ------------------------------------------------------------------------ what tokens say of themselves

    def assets_without_metadata(self) -> list[str]:
        """The assets (the ERC-20s the members ever approved) whose metadata was never read, by address."""
        query = (
            select(assets.c.address)
            .where(assets.c.address.not_in(select(asset_metadata.c.address)))
            .order_by(assets.c.address)
        )
        with self._engine.connect() as connection:
            return [str(address) for address in connection.execute(query).scalars()]

    def record_asset_metadata(
        self, address: str, symbol: str | None, name: str | None, decimals: int | None, read_block: int
    ) -> None:
        """Record what the ERC-20 at ``address`` says of itself (None for what it lacks), read at
        ``read_block``; a second record of the same asset replaces the first."""
        row = {"symbol": symbol, "name": name, "decimals": decimals, "read_block": read_block}
        with self._engine.begin() as connection:
            updated = connection.execute(
                asset_metadata.update().where(asset_metadata.c.address == address).values(**row)
            )
            if not updated.rowcount:
                connection.execute(asset_metadata.insert().values(address=address, **row))

    def asset_metadata_rows(self) -> list[dict[str, Any]]:
        """Every asset's recorded metadata, by address."""
        query = select(asset_metadata).order_by(asset_metadata.c.address)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def undecoded_rows(self) -> list[dict[str, Any]]:
        """Every stored undecoded log in chain order."""
        query = select(undecoded_logs).order_by(undecoded_logs.c.block_number, undecoded_logs.c.log_index)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # ---------------------------------------------------------------------- the head's shared figures

    @property
    def shares_figures(self) -> bool:
        """Whether several processes may serve this store and so share the head's figures through it (a
        PostgreSQL store; one process serves an SQLite store)."""
        return self._engine.dialect.name == "postgresql"

    def try_lead(self, lock: int) -> bool:
        """Whether this store (its process) leads the work named by ``lock``: on PostgreSQL, whether it holds
        the session advisory lock ``lock``, taken now if it is free (held until :meth:`close`, or until the
        session is lost: the server then gives it to the next process that asks); elsewhere, always.

        Raises
        ------
        StoreError
            If the database does not answer.
        """
        if not self.shares_figures:
            return True
        if self._leading is not None:
            try:
                self._leading.execute(select(1))
                self._leading.commit()
                return True
            except SQLAlchemyError:  # the session is gone, and the lock with it
                self._leading.close()
                self._leading = None
        connection = self._engine.connect()
        try:
            held = bool(connection.execute(select(func.pg_try_advisory_lock(lock))).scalar())
            connection.commit()  # a session lock outlives the transaction: none is left open
        except SQLAlchemyError:
            connection.close()
            raise
        if held:
            self._leading = connection
        else:
            connection.close()
        return held

    def share_figures(
        self, block: int, key: tuple[int, str], global_key: tuple[int, str], computed_by: str, figures: str
    ) -> int:
        """Keep one computation of the head's figures for the other processes; the oldest beyond the newest
        few are dropped. Returns its id."""
        row = {
            "block": block,
            "key_block": key[0],
            "key_hash": key[1],
            "global_key_block": global_key[0],
            "global_key_hash": global_key[1],
            "computed_by": computed_by,
            "computed_at": time.time(),
            "figures": figures,
        }
        with self._engine.begin() as connection:
            inserted = connection.execute(insert(head_figures).values(row)).inserted_primary_key
            assert inserted is not None
            new_id = int(inserted[0])
            connection.execute(delete(head_figures).where(head_figures.c.id <= new_id - _SHARED_FIGURES_KEPT))
        return new_id

    def shared_figures(self, after_id: int = 0) -> SharedFigures | None:
        """The newest computation of the head's figures kept, if its id is above ``after_id``."""
        query = select(head_figures).where(head_figures.c.id > after_id).order_by(head_figures.c.id.desc())
        with self._engine.connect() as connection:
            row = connection.execute(query.limit(1)).first()
        return None if row is None else _shared_figures(row._mapping)

    def shared_figures_log(self) -> list[SharedFigures]:
        """Every computation of the head's figures kept, oldest first, without their figures (who computed
        what, and when)."""
        columns = [column for column in head_figures.c if column.name != "figures"]
        with self._engine.connect() as connection:
            rows = connection.execute(select(*columns).order_by(head_figures.c.id)).all()
        return [_shared_figures(row._mapping) for row in rows]

    # ------------------------------------------------------------------------------------------ writing

    def record_deployment(self, manifest: DeploymentManifest) -> None:
        """Record the deployment this store is indexed with; the indexer does before it writes a range.

        A new manifest for the same chain (a redeployment, or a store from before deployments were
        recorded) replaces the old one, and the projections are folded again from the stored events.

        Raises
        ------
        StoreError
            If the store holds another chain's events: nothing is changed.
        """
        text = manifest.model_dump_json()
        with self._engine.begin() as connection:
            row = connection.execute(select(deployment).where(deployment.c.id == 1)).first()
            if row is not None and row.chain_id != manifest.chain_id:
                raise StoreError(
                    f"This store holds the events of chain {row.chain_id}, and the manifest is for chain "
                    f"{manifest.chain_id}: give each chain its own store (COOPLEDGER_STORE_URL)."
                )
            if row is not None and row.manifest == text:
                return
            connection.execute(delete(deployment))
            connection.execute(insert(deployment).values(id=1, chain_id=manifest.chain_id, manifest=text))
            # Another deployment may spell or share differently: fold the events again under its rules.
            _rebuild_projections(connection, _agreement_kinds(manifest))
        self._projections = None

    def commit_range(
        self,
        chain_id: int,
        headers: Sequence[BlockHeader],
        decoded: Sequence[DecodedEvent],
        undecoded: Sequence[UndecodedLog],
        new_checkpoint: BlockHeader,
    ) -> None:
        """Store one indexed range and move the checkpoint to ``new_checkpoint``, all in one transaction
        (:func:`~ledger.indexer.prepared.prepare_range`, then :meth:`commit_prepared`).

        Raises
        ------
        StoreError
            If the range cannot be stored; then nothing of it is stored and the checkpoint has not moved.
        """
        try:
            prepared = prepare_range(chain_id, headers, decoded, undecoded, new_checkpoint)
        except (TypeError, ValueError) as exc:
            raise _range_failed(new_checkpoint, exc) from exc
        self.commit_prepared(prepared)

    def commit_prepared(self, prepared: PreparedRange) -> None:
        """Store a prepared range, fold its new events into the projections and move the checkpoint to its
        end, all in one transaction.

        Raises
        ------
        StoreError
            If the write fails; then nothing of the range is stored and the checkpoint has not moved.
        """
        try:
            with self._engine.begin() as connection:
                dialect = connection.dialect.name
                _insert_many_raw(
                    connection,
                    insert_ignoring_duplicates(dialect, blocks, ["number"]),
                    BLOCK_COLUMNS,
                    prepared.blocks,
                )
                if prepared.events:
                    _insert_many_raw(
                        connection,
                        insert_ignoring_duplicates(dialect, events, ["tx_hash", "log_index"]),
                        EVENT_COLUMNS,
                        prepared.events,
                    )
                if prepared.folded:
                    self._fold_new_events(connection, prepared.folded_events())
                if prepared.undecoded:
                    _insert_many_raw(
                        connection,
                        insert_ignoring_duplicates(dialect, undecoded_logs, ["tx_hash", "log_index"]),
                        UNDECODED_COLUMNS,
                        prepared.undecoded,
                    )
                end = prepared.end
                self._set_checkpoint(connection, Checkpoint(prepared.chain_id, end.number, end.hash))
        except StoreUnavailableError:
            self._projections = None  # it may hold what was not committed: read it again
            raise
        except (SQLAlchemyError, TypeError, ValueError) as exc:  # the database's refusal, or unstorable args
            self._projections = None
            raise _range_failed(prepared.end, exc) from exc

    def rollback_to(self, fork_point: BlockHeader, chain_id: int) -> int:
        """Delete everything above ``fork_point`` (a block both branches share), rebuild the projections from
        the events that remain and move the checkpoint to ``fork_point``, in one transaction.

        Returns the number of events deleted.
        """
        with self._engine.begin() as connection:
            above = fork_point.number
            deleted = connection.execute(delete(events).where(events.c.block_number > above)).rowcount
            connection.execute(delete(undecoded_logs).where(undecoded_logs.c.block_number > above))
            connection.execute(delete(blocks).where(blocks.c.number > above))
            dialect = connection.dialect.name
            connection.execute(
                insert_ignoring_duplicates(dialect, blocks, ["number"]), [_header_row(fork_point)]
            )
            self._set_checkpoint(connection, Checkpoint(chain_id, fork_point.number, fork_point.hash))
            if deleted:
                self._projections = None
                _rebuild_projections(connection, _stored_kinds(connection))
        return int(deleted)

    def rebuild_projections(self) -> None:
        """Fold every stored event into the projections afresh (they equal what incremental folding gave)."""
        self._projections = None
        with self._engine.begin() as connection:
            _rebuild_projections(connection, _stored_kinds(connection))

    def _fold_new_events(self, connection: Connection, folded: Sequence[LedgerEvent]) -> None:
        """Fold the events above the current checkpoint into the projections (those below are folded)."""
        stored_up_to = connection.execute(
            select(checkpoint.c.block_number).where(checkpoint.c.id == 1)
        ).scalar()
        floor = -1 if stored_up_to is None else int(stored_up_to)
        fresh = [item for item in folded if item.block_number > floor]
        if not fresh:
            return
        if self._projections is None:
            self._projections = Projections(_stored_kinds(connection))
            for table in _CACHED_TABLES:
                self._projections.load(table, _load_rows(connection, table))
        state = self._projections
        wanted = sorted(referral_keys(fresh))
        columns = tuple_(referrals.c.program_id, referrals.c.referrer, referrals.c.commitment)
        for start in range(0, len(wanted), _KEYS_PER_QUERY):
            chunk = wanted[start : start + _KEYS_PER_QUERY]
            state.load("referrals", _load_rows(connection, "referrals", columns.in_(chunk)))
        state.apply_all(fresh)
        _write_projections(connection, state, changed_only=True)
        state.referrals.clear()  # referrals grow with activity: only the batch's are held
        state.ratings.clear()  # so do ratings, whose rows need no stored row to fold

    @staticmethod
    def _set_checkpoint(connection: Connection, point: Checkpoint) -> None:
        values = {
            "chain_id": point.chain_id,
            "block_number": point.block_number,
            "block_hash": point.block_hash,
        }
        updated = connection.execute(
            checkpoint.update().where(checkpoint.c.id == 1).values(**values)
        ).rowcount
        if updated == 0:
            connection.execute(insert(checkpoint).values(id=1, **values))


def _write_projections(connection: Connection, state: Projections, changed_only: bool) -> None:
    dialect = connection.dialect.name
    for table, projection in PROJECTION_TABLES.items():
        rows = state.changed_rows(table) if changed_only else state.all_rows(table)
        if rows:
            statement = _upsert(dialect, projection, list(TABLE_KEYS[table]))
            columns = list(rows[0])
            _insert_many_raw(
                connection, statement, columns, _driver_rows(connection, projection, columns, rows)
            )
    state.changed.clear()


def _driver_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """``rows`` as tuples of ``columns``, each value as the database driver takes it: each column type's own
    bind processor (``UInt`` to text, JSON serialised, ...), applied once here instead of per statement, and
    only to the columns that have one.

    The processor is the dialect's implementation's: a generic ``JSON`` column has none of its own under
    PostgreSQL with psycopg 3, whose ``JSON`` implementation wraps the value for the driver (without it, a
    list reached the driver as an array: "cannot cast type smallint[] to json")."""
    dialect = connection.dialect
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    converted = [(index, processor) for index, processor in enumerate(processors) if processor is not None]
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    if not converted:
        return [values(row) for row in rows]
    driver_rows = []
    for row in rows:
        fields = list(values(row))
        for index, processor in converted:
            fields[index] = processor(fields[index])
        driver_rows.append(tuple(fields))
    return driver_rows


def _load_rows(connection: Connection, table: str, condition: Any = None) -> list[dict[str, Any]]:
    projection = PROJECTION_TABLES[table]
    query = select(projection) if condition is None else select(projection).where(condition)
    return [dict(row._mapping) for row in connection.execute(query)]


def _agreement_kinds(manifest: DeploymentManifest | None) -> tuple[str, ...]:
    if manifest is None or "Agreements" not in manifest.contracts:
        return ()
    return tuple(manifest.contracts["Agreements"].enum_labels("Kind"))


def _stored_kinds(connection: Connection) -> tuple[str, ...]:
    text = connection.execute(select(deployment.c.manifest).where(deployment.c.id == 1)).scalar()
    return _agreement_kinds(None if text is None else DeploymentManifest.model_validate_json(text))


def _rebuild_projections(connection: Connection, kinds: tuple[str, ...]) -> None:
    """Replace every projection row with a fold of all stored events, in chain order."""
    for projection in reversed(PROJECTION_TABLES.values()):
        connection.execute(delete(projection))
    state = Projections(kinds)
    state.apply_all(_stream_events(connection, -1, None))
    _write_projections(connection, state, changed_only=False)


def _stream_events(
    connection: Connection,
    after_block: int,
    up_to_block: int | None,
    only: Collection[tuple[str, str]] | None = None,
) -> Iterator[LedgerEvent]:
    query = (
        select(
            events.c.contract,
            events.c.event,
            events.c.args,
            events.c.block_number,
            events.c.block_hash,
            blocks.c.timestamp,
            events.c.tx_hash,
            events.c.log_index,
        )
        .join(blocks, blocks.c.number == events.c.block_number)
        .where(events.c.block_number > after_block)
        .order_by(events.c.block_number, events.c.log_index)
        .execution_options(yield_per=_STREAM_ROWS)
    )
    if up_to_block is not None:
        query = query.where(events.c.block_number <= up_to_block)
    if only is not None:
        query = query.where(tuple_(events.c.contract, events.c.event).in_(sorted(only)))
    # rows unpacked as tuples: looking each field up by name took 40 % of reading a million events
    for contract, name, args, block_number, block_hash, timestamp, tx_hash, log_index in connection.execute(
        query
    ):
        yield LedgerEvent(
            contract=contract,
            event=name,
            args=args,
            block_number=block_number,
            block_hash=block_hash,
            timestamp=timestamp,
            tx_hash=tx_hash,
            log_index=log_index,
        )


@contextmanager
def _migrating_alone(engine: Engine) -> Iterator[None]:
    """Processes opening one new store at the same moment take turns to migrate it: the first creates the
    schema, the others then find it current (without turns, two of them create the same table and one
    fails: "table blocks already exists" on SQLite, a duplicate key in PostgreSQL's catalog). On PostgreSQL
    the migration's transaction takes an advisory lock (:data:`_MIGRATION_LOCK`); for a SQLite file, a lock
    file beside it (``<file>.lock``) is locked with ``flock``. Never the database file itself: closing any
    descriptor of it would drop every ``fcntl`` lock SQLite holds on it in this process (POSIX locks are per
    process), and another process could then write under this one's reads ("disk I/O error")."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    with open(f"{database}.lock", "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    postgres = url.startswith("postgresql")
    # On PostgreSQL a pooled connection is checked before use, so that one broken by a server restart is
    # replaced rather than failing the next statement.
    engine = create_engine(url, future=True, pool_pre_ping=postgres)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if postgres:
        event.listen(engine, "handle_error", _unavailable_when_down(redact_url(url)))
    return engine


def _unavailable_when_down(shown_url: str) -> Callable[[ExceptionContext], None]:
    """A ``handle_error`` listener raising :class:`~ledger.exceptions.StoreUnavailableError` for a PostgreSQL
    server that is down, restarting or unreachable (a connection lost, or refused) instead of the driver's
    error: the indexer then waits and retries, and the API answers 503."""

    def listener(context: ExceptionContext) -> None:
        lost = context.is_disconnect
        refused = context.connection is None and isinstance(context.sqlalchemy_exception, OperationalError)
        if lost or refused:
            reason = str(context.original_exception).strip().splitlines()[0]
            if refused and _refused_by_settings(reason):
                return  # the server answered: a wrong setting, which no wait mends (raised as a StoreError)
            raise StoreUnavailableError(
                f"The event store {shown_url} does not answer ({reason}); waiting and retrying is safe: "
                "nothing half-written is kept.",
                reason,
            ) from context.original_exception

    return listener


#: What PostgreSQL says when it answers a connection but refuses it for what the URL names (a wrong password,
#: a database or role that does not exist, an address pg_hba.conf does not admit). "FATAL: the database system
#: is starting up" is not among them: that one passes.
_SETTINGS_REFUSALS = (
    "password authentication failed",
    "no password supplied",
    "does not exist",
    "no pg_hba.conf entry",
    "permission denied for database",
)


def _refused_by_settings(reason: str) -> bool:
    return "FATAL:" in reason and any(refusal in reason for refusal in _SETTINGS_REFUSALS)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # 8 KiB pages for a new store (an existing one keeps its own): a batch's inserts into the unique index on
    # random transaction hashes touch fewer pages, so each commit writes less (writes ~14% faster).
    cursor.execute("PRAGMA page_size=8192")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages: the indexes stay in memory while writing
    cursor.close()


def _upsert(dialect: str, table: Table, keys: list[str]) -> Insert:
    statement = dialect_insert(dialect, table)
    updates = {column.name: statement.excluded[column.name] for column in table.c if column.name not in keys}
    upsert: Insert = statement.on_conflict_do_update(index_elements=keys, set_=updates)
    return upsert


def _header_row(header: BlockHeader) -> dict[str, Any]:
    return {
        "number": header.number,
        "hash": header.hash,
        "parent_hash": header.parent_hash,
        "timestamp": header.timestamp,
    }


def _insert_many_raw(
    connection: Connection, statement: Insert, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Execute ``statement`` for every row (values of ``columns``, in that order) through the driver's
    ``executemany``, skipping SQLAlchemy's per-value type processing.

    SQLAlchemy still writes the SQL for the dialect (so it stays portable); the rows must hold values the
    driver takes as they are (JSON already serialised). At a hundred thousand events, SQLAlchemy's per-value
    processing cost more than the database's own work (bench/indexer.py).
    """
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(columns))
    parameters: list[Any]
    if not compiled.positional:
        parameters = [dict(zip(columns, row, strict=True)) for row in rows]
    elif list(compiled.positiontup or []) == list(columns):
        parameters = list(rows)
    else:
        order = [columns.index(name) for name in compiled.positiontup or []]
        parameters = [tuple(row[index] for index in order) for row in rows]  # the driver takes tuples
    connection.exec_driver_sql(str(compiled), parameters)


def _range_failed(end: BlockHeader, exc: BaseException) -> StoreError:
    return StoreError(
        f"Writing the range up to block {end.number} failed ({_reason(exc)}); "
        "nothing of it was stored, the checkpoint stays where it was."
    )


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    first = str(original or exc).splitlines()[0]
    server, said, words = first.partition("FATAL:")  # the server's own words, without the driver's preamble
    return f"the server refused the connection: {words.strip()}" if said and server else first
