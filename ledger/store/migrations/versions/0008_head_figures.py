"""The head's figures shared between API replicas, and the index behind every answer's change key.

- ``head_figures``: each computation of the head's figures by the metrics worker that leads (on
  PostgreSQL, the holder of an advisory lock), as JSON, so that every other API process on the store reads
  them rather than computing them again (:mod:`api.worker`).
- ``ix_events_contract_event_block`` (contract, event, block, log index) replaces ``ix_events_contract_event``
  (a prefix of it): the newest event of each kind at or below a block is one index seek
  (:meth:`ledger.store.Store.last_change`), where the old index made it a scan of every such event.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.drop_index("ix_events_contract_event", table_name="events")
    op.create_index(
        "ix_events_contract_event_block", "events", ["contract", "event", "block_number", "log_index"]
    )
    op.create_table(
        "head_figures",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("key_block", sa.BigInteger, nullable=False),
        sa.Column("key_hash", sa.String(66), nullable=False),
        sa.Column("global_key_block", sa.BigInteger, nullable=False),
        sa.Column("global_key_hash", sa.String(66), nullable=False),
        sa.Column("computed_by", sa.String(128), nullable=False),
        sa.Column("computed_at", sa.Float, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("head_figures")
    op.drop_index("ix_events_contract_event_block", table_name="events")
    op.create_index("ix_events_contract_event", "events", ["contract", "event"])
