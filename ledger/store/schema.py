"""The event store's tables (SQLAlchemy Core), portable between SQLite and PostgreSQL.

- ``blocks``: the header of every block that holds an indexed log, and of each checkpoint block — number,
  hash, parent hash, timestamp. Reorg detection compares these hashes with the chain.
- ``events``: every decoded contract event with its position; unique on (tx_hash, log_index), so writing a
  range twice is harmless.
- ``undecoded_logs``: every log from a manifest contract the decoder could not explain, with the reason.
- ``checkpoint``: one row, the last block whose logs are all in the store. It moves in the same transaction
  as the rows it covers.
- ``deployment``: one row, the deployment manifest the store was indexed with (its contract facts: what the
  folds spell enums with, and what every reader of the store may show), recorded before the first range.
- Projections, folded from the events by :mod:`ledger.store.projections` in the same transaction: ``members``,
  ``agreements``, ``agreement_parties`` (shares and credited / withdrawn balances), ``agreement_versions``,
  ``programs``, ``referrals``.

Amounts (``uint256``) and contract-supplied times (``uint64``) do not fit a 64-bit integer column, and
SQLite's NUMERIC would round them through a float: they are stored as decimal text (:class:`UInt`) and read
back as Python integers, exact on both databases.

Migrations (``ledger/store/migrations``) create and change these tables; this module is their reference.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

__all__ = [
    "PROJECTION_TABLES",
    "UInt",
    "agreement_parties",
    "agreement_versions",
    "agreements",
    "alert_log",
    "alert_monitor",
    "asset_metadata",
    "blocks",
    "checkpoint",
    "deployment",
    "events",
    "head_figures",
    "members",
    "metadata",
    "programs",
    "ratings",
    "referrals",
    "undecoded_logs",
    "webhook_deliveries",
]

metadata = MetaData()

HASH = String(66)
ADDRESS = String(42)
ROW_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


class UInt(TypeDecorator[int]):
    """An unsigned integer of any size (up to ``uint256``), stored as decimal text, read back as ``int``."""

    impl = String(78)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else str(int(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


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
    # every address among the arguments, "|0x…|0x…|" (see ledger.indexer.prepared.event_parties)
    Column("parties", Text, nullable=False, server_default=""),
    *_position_columns(),
    UniqueConstraint("tx_hash", "log_index", name="uq_events_tx_log"),
    Index("ix_events_block_log", "block_number", "log_index"),
    Index("ix_events_contract_event_block", "contract", "event", "block_number", "log_index"),
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

#: Each computation of the head's figures by the leading metrics worker, shared with the other API processes
#: (:mod:`api.worker`); ``figures`` is their JSON.
head_figures = Table(
    "head_figures",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("block", BigInteger, nullable=False),
    Column("key_block", BigInteger, nullable=False),
    Column("key_hash", HASH, nullable=False),
    Column("global_key_block", BigInteger, nullable=False),
    Column("global_key_hash", HASH, nullable=False),
    Column("computed_by", String(128), nullable=False),
    Column("computed_at", Float, nullable=False),
    Column("figures", Text, nullable=False),
)

#: Each alert as it appeared or cleared at the head (the API's alert monitor, :mod:`api.notify`): the
#: history the stream (``/v1/stream``) and the webhooks send. An alert is its (kind, subject); one appears at
#: the first head where it holds and clears at the first where it no longer does. ``block_hash`` tells a row
#: a reorg took away. Unique per (block, transition, kind, subject): replicas add one row per change.
alert_log = Table(
    "alert_log",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
    Column("transition", String(16), nullable=False),  # appeared | cleared
    Column("kind", String(32), nullable=False),
    Column("subject", String(128), nullable=False),
    Column("message", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON
    Column("recorded_at", Float, nullable=False),
    UniqueConstraint("block_number", "transition", "kind", "subject", name="uq_alert_log_change"),
    Index("ix_alert_log_block", "block_number", "id"),
)

#: How far the alert monitor has looked: the head whose alerts ``alert_log`` reflects (one row).
alert_monitor = Table(
    "alert_monitor",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
)

#: One webhook delivery per (alert that appeared, URL): never two for the same alert at the same block.
#: ``status``: pending (due at ``next_attempt_at``), sending (claimed by one API process), delivered or
#: failed (every attempt spent).
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", ROW_ID, primary_key=True, autoincrement=True),
    Column("alert_id", BigInteger, nullable=False),
    Column("url", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("last_error", Text),
    Column("response_status", Integer),
    Column("delivered_at", Float),
    Column("claimed_by", String(128)),
    UniqueConstraint("alert_id", "url", name="uq_webhook_deliveries_alert_url"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

checkpoint = Table(
    "checkpoint",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", HASH, nullable=False),
)

deployment = Table(
    "deployment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("manifest", Text, nullable=False),  # DeploymentManifest as JSON
)


members = Table(
    "members",
    metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("name", Text, nullable=False),
    Column("sector", String(32), nullable=False),
    Column("region", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("admission_proposal", BigInteger, nullable=False),
    Column("joined_block", BigInteger, nullable=False),
    Column("joined_at", BigInteger, nullable=False),
    Column("updated_block", BigInteger, nullable=False),
)

assets = Table(
    "assets",
    metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("approved", Boolean, nullable=False),
    Column("proposal_id", BigInteger, nullable=False),  # the vote of the last change; 0 = at deployment
    Column("approved_block", BigInteger, nullable=False),  # the first approval
    Column("updated_block", BigInteger, nullable=False),
)

#: What each asset's ERC-20 contract says of itself, read from the chain once by the indexer (not folded from
#: events, so a projection rebuild keeps it): a field the token lacks is NULL. ``read_block`` is the head
#: when it was read; a row with every field NULL is a token that answers none of them.
asset_metadata = Table(
    "asset_metadata",
    metadata,
    Column("address", ADDRESS, primary_key=True),
    Column("symbol", String(32)),
    Column("name", String(64)),
    Column("decimals", Integer),
    Column("read_block", BigInteger, nullable=False),
)

agreements = Table(
    "agreements",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("lead", ADDRESS, nullable=False),
    Column("asset", ADDRESS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", UInt, nullable=False),
    Column("end_time", UInt),
    Column("current_version", Integer, nullable=False),
    Column("pending_version", Integer, nullable=False),
    Column("total_deposited", UInt, nullable=False),
    Column("total_credited", UInt, nullable=False),
    Column("total_withdrawn", UInt, nullable=False),
    Column("held", UInt, nullable=False),
    Column("proposed_block", BigInteger, nullable=False),
    Column("proposed_at", BigInteger, nullable=False),
    Column("activated_block", BigInteger),
    Column("ended_block", BigInteger),
    # What the share period in force credited (its rounding dust included): ledger.protocol.sharing.
    Column("period_credited", UInt, nullable=False, server_default="0"),
)

agreement_parties = Table(
    "agreement_parties",
    metadata,
    Column("agreement_id", BigInteger, primary_key=True, autoincrement=False),
    Column("party", ADDRESS, primary_key=True),
    Column("position", Integer, nullable=False),
    Column("is_lead", Boolean, nullable=False),
    Column("share_bps", Integer, nullable=False),
    Column("credited", UInt, nullable=False),
    Column("withdrawn", UInt, nullable=False),
    Index("ix_agreement_parties_party", "party"),
)

agreement_versions = Table(
    "agreement_versions",
    metadata,
    Column("agreement_id", BigInteger, primary_key=True, autoincrement=False),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("proposer", ADDRESS, nullable=False),
    Column("shares_bps", JSON, nullable=False),
    Column("terms_hash", HASH, nullable=False),
    Column("uri", Text, nullable=False),
    Column("end_time", UInt, nullable=False),
    Column("status", String(16), nullable=False),
    Column("signatures", Integer, nullable=False),
    Column("proposed_block", BigInteger, nullable=False),
    Column("activated_block", BigInteger),
)

programs = Table(
    "programs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("sponsor", ADDRESS, nullable=False),
    Column("asset", ADDRESS, nullable=False),
    Column("fixed_reward", UInt, nullable=False),
    Column("reward_bps", Integer, nullable=False),
    Column("cap", UInt, nullable=False),
    Column("per_referrer_cap", UInt, nullable=False),
    Column("expiry", UInt, nullable=False),
    Column("status", String(16), nullable=False),
    Column("funded", UInt, nullable=False),
    Column("reserved", UInt, nullable=False),
    Column("paid", UInt, nullable=False),
    Column("reclaimed", UInt, nullable=False),
    Column("referrals", Integer, nullable=False),
    Column("conversions", Integer, nullable=False),
    Column("created_block", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("closed_block", BigInteger),
)

referrals = Table(
    "referrals",
    metadata,
    Column("program_id", BigInteger, nullable=False, autoincrement=False),
    Column("commitment", HASH, nullable=False),
    Column("sponsor", ADDRESS, nullable=False),
    Column("referrer", ADDRESS, nullable=False),
    Column("status", String(16), nullable=False),
    Column("conversion_value", UInt),
    Column("reward", UInt),
    Column("via_voucher", Boolean),
    Column("recorded_block", BigInteger, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    Column("confirmed_block", BigInteger),
    Column("claimed_block", BigInteger),
    Index("ix_referrals_referrer", "referrer"),
    Index("ix_referrals_commitment", "program_id", "commitment"),
    # A referral is recorded under its referrer: two referrers may record one commitment (migration 0005).
    PrimaryKeyConstraint(
        "program_id", "referrer", "commitment", name="pk_referrals_program_id_referrer_commitment"
    ),
)

#: The projection tables by name, in the order they are written.
#: Each party's newest rating of each partner, per agreement version (``PartnerRated``: the newest counts;
#: the history is in ``events``).
ratings = Table(
    "ratings",
    metadata,
    Column("agreement_id", BigInteger, nullable=False, autoincrement=False),
    Column("version", Integer, nullable=False, autoincrement=False),
    Column("rater", ADDRESS, nullable=False),
    Column("ratee", ADDRESS, nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment_hash", HASH, nullable=False),
    Column("rated_block", BigInteger, nullable=False),
    Column("rated_at", BigInteger, nullable=False),
    Index("ix_ratings_ratee", "ratee"),
    Index("ix_ratings_rater", "rater"),
    PrimaryKeyConstraint("agreement_id", "version", "rater", "ratee", name="pk_ratings"),
)

PROJECTION_TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        members,
        assets,
        agreements,
        agreement_parties,
        agreement_versions,
        programs,
        referrals,
        ratings,
    )
}
