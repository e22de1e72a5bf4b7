"""Projections folded from the events: members, agreements, their parties and versions, programs, referrals.

Amounts and contract-supplied times are decimal text (String(78)): exact on SQLite and PostgreSQL alike.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ADDRESS = sa.String(42)
HASH = sa.String(66)
UINT = sa.String(78)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("address", ADDRESS, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("admission_proposal", sa.BigInteger(), nullable=False),
        sa.Column("joined_block", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "agreements",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("lead", ADDRESS, nullable=False),
        sa.Column("asset", ADDRESS, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", UINT, nullable=False),
        sa.Column("end_time", UINT),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("pending_version", sa.Integer(), nullable=False),
        sa.Column("total_deposited", UINT, nullable=False),
        sa.Column("total_credited", UINT, nullable=False),
        sa.Column("total_withdrawn", UINT, nullable=False),
        sa.Column("held", UINT, nullable=False),
        sa.Column("proposed_block", sa.BigInteger(), nullable=False),
        sa.Column("proposed_at", sa.BigInteger(), nullable=False),
        sa.Column("activated_block", sa.BigInteger()),
        sa.Column("ended_block", sa.BigInteger()),
    )
    op.create_table(
        "agreement_parties",
        sa.Column("agreement_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("party", ADDRESS, primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("share_bps", sa.Integer(), nullable=False),
        sa.Column("credited", UINT, nullable=False),
        sa.Column("withdrawn", UINT, nullable=False),
    )
    op.create_index("ix_agreement_parties_party", "agreement_parties", ["party"])
    op.create_table(
        "agreement_versions",
        sa.Column("agreement_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("proposer", ADDRESS, nullable=False),
        sa.Column("shares_bps", sa.JSON(), nullable=False),
        sa.Column("terms_hash", HASH, nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("end_time", UINT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("signatures", sa.Integer(), nullable=False),
        sa.Column("proposed_block", sa.BigInteger(), nullable=False),
        sa.Column("activated_block", sa.BigInteger()),
    )
    op.create_table(
        "programs",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("sponsor", ADDRESS, nullable=False),
        sa.Column("asset", ADDRESS, nullable=False),
        sa.Column("fixed_reward", UINT, nullable=False),
        sa.Column("reward_bps", sa.Integer(), nullable=False),
        sa.Column("cap", UINT, nullable=False),
        sa.Column("per_referrer_cap", UINT, nullable=False),
        sa.Column("expiry", UINT, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("funded", UINT, nullable=False),
        sa.Column("reserved", UINT, nullable=False),
        sa.Column("paid", UINT, nullable=False),
        sa.Column("reclaimed", UINT, nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.Column("conversions", sa.Integer(), nullable=False),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("closed_block", sa.BigInteger()),
    )
    op.create_table(
        "referrals",
        sa.Column("program_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("commitment", HASH, primary_key=True),
        sa.Column("sponsor", ADDRESS, nullable=False),
        sa.Column("referrer", ADDRESS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("conversion_value", UINT),
        sa.Column("reward", UINT),
        sa.Column("via_voucher", sa.Boolean()),
        sa.Column("recorded_block", sa.BigInteger(), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("confirmed_block", sa.BigInteger()),
        sa.Column("claimed_block", sa.BigInteger()),
    )
    op.create_index("ix_referrals_referrer", "referrals", ["referrer"])


def downgrade() -> None:
    tables = ("referrals", "programs", "agreement_versions", "agreement_parties", "agreements", "members")
    for table in tables:
        op.drop_table(table)
