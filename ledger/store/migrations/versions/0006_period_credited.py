"""What each agreement's share period in force credited: the figure a party's credit is a share of.

``Agreements`` credits a party ``credited * share // 10 000`` of the share period's running total (audit
finding 5, :mod:`ledger.protocol.sharing`); the projections keep that total in ``agreements.period_credited``.
The column starts at 0; the projections are folded again from the stored events when the indexer records the
deployment (a store of contracts from before the fix is re-indexed from a new deployment anyway).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agreements") as batch:
        batch.add_column(sa.Column("period_credited", sa.String(78), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("agreements") as batch:
        batch.drop_column("period_credited")
