"""The payment assets the members approved (audit finding 6): ``assets``, folded from the Consortium's
``AssetApproved`` and ``AssetRevoked`` events.

Contracts from before the register emit neither event, so a store migrated from 0006 starts with an empty
table and nothing to fold; a store of the new contracts fills it as it indexes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("address", sa.String(42), primary_key=True),
        sa.Column("approved", sa.Boolean, nullable=False),
        sa.Column("proposal_id", sa.BigInteger, nullable=False),
        sa.Column("approved_block", sa.BigInteger, nullable=False),
        sa.Column("updated_block", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("assets")
