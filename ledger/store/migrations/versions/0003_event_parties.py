"""Every event's parties: the addresses among its arguments, so the audit history filters by address.

Adds ``events.parties`` ("|0x…|0x…|", see ``ledger.indexer.prepared.event_parties``) and fills it for the
events already stored.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

from ledger.indexer.prepared import event_parties

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("parties", sa.Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    events = sa.table("events", sa.column("id"), sa.column("args"), sa.column("parties"))
    last = -1
    while True:
        rows = connection.execute(
            sa.select(events.c.id, events.c.args)
            .where(events.c.id > last)
            .order_by(events.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = [{"row_id": row.id, "parties": event_parties(_arguments(row.args))} for row in rows]
        connection.execute(
            events.update()
            .where(events.c.id == sa.bindparam("row_id"))
            .values(parties=sa.bindparam("parties")),
            updates,
        )
        last = rows[-1].id


def _arguments(stored: Any) -> dict[str, Any]:
    """The arguments as a dictionary: raw JSON text on SQLite, already parsed on PostgreSQL."""
    return dict(json.loads(stored) if isinstance(stored, str) else stored)


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("parties")
