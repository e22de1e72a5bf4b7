"""The event store: opens (and migrates) the database, writes indexed ranges atomically, rolls back reorgs.

Every write of the indexer goes through :meth:`Store.commit_range`, which inserts the range's block headers,
events and undecoded logs and moves the checkpoint in one database transaction: after a crash at any
instant the store holds either all of a range or none of it, and re-writing a range inserts nothing twice
(rows are unique on transaction hash and log index).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Insert

from ledger.decoding import DecodedEvent, UndecodedLog
from ledger.exceptions import StoreError
from ledger.store.schema import blocks, checkpoint, events, undecoded_logs
from ledger.types import BlockHeader, Checkpoint

__all__ = ["Store"]

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class Store:
    """An open event store. Use :meth:`open`; close with :meth:`close` (or as a context manager)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> Store:
        """Open the store at SQLAlchemy ``url``: make an SQLite file's folder, migrate to the newest schema.

        Raises
        ------
        StoreError
            If the database cannot be reached or migrated; the message names the URL (password hidden).
        """
        try:
            engine = _create_engine(url)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(
                f"Cannot open the event store {url}: {_reason(exc)}. Check COOPLEDGER_STORE_URL."
            ) from None
        try:
            with engine.begin() as connection:
                config = Config()
                config.set_main_option("script_location", str(_MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except (SQLAlchemyError, OSError) as exc:
            engine.dispose()
            shown = engine.url.render_as_string(hide_password=True)
            raise StoreError(
                f"Cannot open the event store {shown}: {_reason(exc)}. Check COOPLEDGER_STORE_URL."
            ) from None
        return cls(engine)

    def close(self) -> None:
        """Release the database connections."""
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

    def undecoded_rows(self) -> list[dict[str, Any]]:
        """Every stored undecoded log in chain order."""
        query = select(undecoded_logs).order_by(undecoded_logs.c.block_number, undecoded_logs.c.log_index)
        with self._engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # ------------------------------------------------------------------------------------------ writing

    def commit_range(
        self,
        chain_id: int,
        headers: Sequence[BlockHeader],
        decoded: Sequence[DecodedEvent],
        undecoded: Sequence[UndecodedLog],
        new_checkpoint: BlockHeader,
    ) -> None:
        """Store one indexed range and move the checkpoint to ``new_checkpoint``, all in one transaction.

        Raises
        ------
        StoreError
            If the write fails; then nothing of the range is stored and the checkpoint has not moved.
        """
        try:
            with self._engine.begin() as connection:
                dialect = connection.dialect.name
                block_rows = [_header_row(header) for header in (*headers, new_checkpoint)]
                connection.execute(
                    _insert_ignoring_duplicates(dialect, blocks, ["number"]), _unique(block_rows)
                )
                if decoded:
                    connection.execute(
                        _insert_ignoring_duplicates(dialect, events, ["tx_hash", "log_index"]),
                        [_event_row(chain_id, item) for item in decoded],
                    )
                if undecoded:
                    connection.execute(
                        _insert_ignoring_duplicates(dialect, undecoded_logs, ["tx_hash", "log_index"]),
                        [_undecoded_row(chain_id, item) for item in undecoded],
                    )
                point = Checkpoint(chain_id, new_checkpoint.number, new_checkpoint.hash)
                self._set_checkpoint(connection, point)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"Writing the range up to block {new_checkpoint.number} failed ({_reason(exc)}); "
                "nothing of it was stored, the checkpoint stays where it was."
            ) from exc

    def rollback_to(self, fork_point: BlockHeader, chain_id: int) -> int:
        """Delete everything above ``fork_point`` (a block both branches share) and move the checkpoint to it.

        Returns the number of events deleted.
        """
        with self._engine.begin() as connection:
            above = fork_point.number
            deleted = connection.execute(delete(events).where(events.c.block_number > above)).rowcount
            connection.execute(delete(undecoded_logs).where(undecoded_logs.c.block_number > above))
            connection.execute(delete(blocks).where(blocks.c.number > above))
            dialect = connection.dialect.name
            connection.execute(
                _insert_ignoring_duplicates(dialect, blocks, ["number"]), [_header_row(fork_point)]
            )
            self._set_checkpoint(connection, Checkpoint(chain_id, fork_point.number, fork_point.hash))
        return int(deleted)

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


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _insert_ignoring_duplicates(dialect: str, table: Any, keys: list[str]) -> Insert:
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=keys)
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=keys)
    raise StoreError(f"the event store supports SQLite and PostgreSQL, not {dialect}")


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({row["number"]: row for row in rows}.values())


def _header_row(header: BlockHeader) -> dict[str, Any]:
    return {
        "number": header.number,
        "hash": header.hash,
        "parent_hash": header.parent_hash,
        "timestamp": header.timestamp,
    }


def _position_row(chain_id: int, item: DecodedEvent | UndecodedLog) -> dict[str, Any]:
    position = item.position
    return {
        "chain_id": chain_id,
        "address": item.address,
        "block_number": position.block_number,
        "block_hash": position.block_hash,
        "tx_hash": position.tx_hash,
        "tx_index": position.tx_index,
        "log_index": position.log_index,
    }


def _event_row(chain_id: int, item: DecodedEvent) -> dict[str, Any]:
    return {
        "contract": item.contract,
        "event": item.event,
        "args": item.args,
        **_position_row(chain_id, item),
    }


def _undecoded_row(chain_id: int, item: UndecodedLog) -> dict[str, Any]:
    return {
        "topics": list(item.topics),
        "data": item.data,
        "reason": item.reason,
        **_position_row(chain_id, item),
    }


def _reason(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    return str(original or exc).splitlines()[0]
