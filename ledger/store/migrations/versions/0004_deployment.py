"""The deployment the store was indexed with: its manifest, contract facts included.

Adds ``deployment`` (one row: chain id and the manifest as JSON). The indexer records it before it writes; a
store migrated from 0003 gets it at the indexer's next start, which then folds the projections again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("manifest", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deployment")
