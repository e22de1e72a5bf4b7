"""Each asset's ERC-20 symbol, name and decimals (issue 20: amounts in whole tokens with their symbol).

``asset_metadata`` is read from the tokens' contracts by the indexer, once per asset; a store migrated from
0008 has none, and the indexer reads them at its next sync.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asset_metadata",
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("symbol", sa.String(32)),
        sa.Column("name", sa.String(64)),
        sa.Column("decimals", sa.Integer),
        sa.Column("read_block", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("asset_metadata")
