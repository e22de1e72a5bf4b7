"""Partner ratings (issue 21): each party's newest rating of each partner, per agreement version.

A store migrated from 0009 has no ``PartnerRatings`` events yet (the contract is new), so the table starts
empty; a deployment that has one is indexed into it from its first block.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("agreement_id", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("rater", sa.String(42), nullable=False),
        sa.Column("ratee", sa.String(42), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("comment_hash", sa.String(66), nullable=False),
        sa.Column("rated_block", sa.BigInteger, nullable=False),
        sa.Column("rated_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("agreement_id", "version", "rater", "ratee", name="pk_ratings"),
    )
    op.create_index("ix_ratings_ratee", "ratings", ["ratee"])
    op.create_index("ix_ratings_rater", "ratings", ["rater"])


def downgrade() -> None:
    op.drop_index("ix_ratings_rater", table_name="ratings")
    op.drop_index("ix_ratings_ratee", table_name="ratings")
    op.drop_table("ratings")
