"""The first schema: blocks, events, undecoded logs, checkpoint.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _position_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column(
            "block_number",
            sa.BigInteger(),
            sa.ForeignKey("blocks.number", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(66), nullable=False, unique=True),
        sa.Column("parent_hash", sa.String(66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("contract", sa.String(64), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        *_position_columns(),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_events_tx_log"),
    )
    op.create_index("ix_events_block_log", "events", ["block_number", "log_index"])
    op.create_index("ix_events_contract_event", "events", ["contract", "event"])
    op.create_table(
        "undecoded_logs",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        *_position_columns(),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_undecoded_tx_log"),
    )
    op.create_index("ix_undecoded_block_log", "undecoded_logs", ["block_number", "log_index"])
    op.create_table(
        "checkpoint",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checkpoint")
    op.drop_table("undecoded_logs")
    op.drop_table("events")
    op.drop_table("blocks")
