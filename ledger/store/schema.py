"""The event store's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

- ``blocks``: the header of every block that holds an indexed log, and of each checkpoint block — number,
  hash, parent hash, timestamp. Reorg detection compares these hashes with the chain.
- ``events``: every decoded contract event with its position; unique on (tx_hash, log_index), so writing a
  range twice is harmless.
- ``undecoded_logs``: every log from a manifest contract the decoder could not explain, with the reason.
- ``checkpoint``: one row, the last block whose logs are all in the store. It moves in the same transaction
  as the rows it covers.

Migrations (``ledger/store/migrations``) create and change these tables; this module is their reference.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["blocks", "checkpoint", "events", "metadata", "undecoded_logs"]

metadata = MetaData()

HASH = String(66)
ADDRESS = String(42)
ROW_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", HASH, nullable=False, unique=True),
    Column("parent_hash", HASH, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
)


def _position_columns() -> list[Column[object]]:
    return [
        Column("chain_id", BigInteger, nullable=False),
        Column("address", ADDRESS, nullable=False),
        Column("block_number", BigInteger, ForeignKey("blocks.number", ondelete="CASCADE"), nullable=False),
        Column("block_hash", HASH, nullable=False),
        Column("tx_hash", HASH, nullable=False),
        Column("tx_index", Integer, nullable=False),
        Column("log_index", Integer, nullable=False),
    ]


events = Table(
    "events",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("contract", String(64), nullable=False),
    Column("event", String(64), nullable=False),
    Column("args", JSON, nullable=False),
    *_position_columns(),
    UniqueConstraint("tx_hash", "log_index", name="uq_events_tx_log"),
    Index("ix_events_block_log", "block_number", "log_index"),
    Index("ix_events_contract_event", "contract", "event"),
)

undecoded_logs = Table(
    "undecoded_logs",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("topics", JSON, nullable=False),
    Column("data", Text, nullable=False),
    Column("reason", Text, nullable=False),
    *_position_columns(),
    UniqueConstraint("tx_hash", "log_index", name="uq_undecoded_tx_log"),
    Index("ix_undecoded_block_log", "block_number", "log_index"),
)

checkpoint = Table(
    "checkpoint",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
)
