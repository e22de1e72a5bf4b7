"""Alerts that reach people (issue 22): the alert log the stream and the webhooks send, how far the alert
monitor has looked, and each webhook delivery with its status.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_log",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("transition", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Float, nullable=False),
        sa.UniqueConstraint("block_number", "transition", "kind", "subject", name="uq_alert_log_change"),
    )
    op.create_index("ix_alert_log_block", "alert_log", ["block_number", "id"])
    op.create_table(
        "alert_monitor",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("response_status", sa.Integer),
        sa.Column("delivered_at", sa.Float),
        sa.Column("claimed_by", sa.String(128)),
        sa.UniqueConstraint("alert_id", "url", name="uq_webhook_deliveries_alert_url"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_due", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("alert_monitor")
    op.drop_index("ix_alert_log_block", table_name="alert_log")
    op.drop_table("alert_log")
