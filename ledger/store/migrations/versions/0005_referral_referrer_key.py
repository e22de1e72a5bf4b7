"""A referral is keyed by its referrer too: (program id, referrer, commitment).

ReferralRewards records a referral under its referrer (audit finding 2), so two referrers may record the same
commitment in one program; the old key (program id, commitment) would merge them. The table is rebuilt with
the new primary key and its rows copied (every row already names its referrer); an index on (program id,
commitment) keeps the look-up of a commitment across referrers fast.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ADDRESS = sa.String(42)
HASH = sa.String(66)
UINT = sa.String(78)

COLUMNS = (
    "program_id, commitment, sponsor, referrer, status, conversion_value, reward, via_voucher, "
    "recorded_block, recorded_at, confirmed_block, claimed_block"
)


def _create(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("program_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("commitment", HASH, nullable=False),
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
        # Named by its columns, not its table: the table is renamed, and PostgreSQL keeps the index's name.
        sa.PrimaryKeyConstraint(*key, name="pk_referrals_" + "_".join(key)),
    )


def _replace(key: tuple[str, ...]) -> None:
    op.drop_index("ix_referrals_referrer", table_name="referrals")
    _create("referrals_rekeyed", key)
    op.execute(f"INSERT INTO referrals_rekeyed ({COLUMNS}) SELECT {COLUMNS} FROM referrals")
    op.drop_table("referrals")
    op.rename_table("referrals_rekeyed", "referrals")
    op.create_index("ix_referrals_referrer", "referrals", ["referrer"])


def upgrade() -> None:
    _replace(("program_id", "referrer", "commitment"))
    op.create_index("ix_referrals_commitment", "referrals", ["program_id", "commitment"])


def downgrade() -> None:
    op.drop_index("ix_referrals_commitment", table_name="referrals")
    _replace(("program_id", "commitment"))
