"""What the store keeps for alerts that reach people: the alert log, how far the alert monitor has looked,
and the webhook deliveries (tables ``alert_log``, ``alert_monitor``, ``webhook_deliveries``).

Writes are idempotent, so several API processes over one PostgreSQL store record each change once: a
change of the alert log is unique per (block, transition, kind, subject), a delivery per (alert, URL), and a
delivery is sent by the process that claimed it (a conditional update only one of them wins).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, or_, select, tuple_, update

from ledger.store.dialects import insert_ignoring_duplicates
from ledger.store.schema import alert_log, alert_monitor, blocks, webhook_deliveries
from ledger.types import Checkpoint

__all__ = ["AlertChange", "Delivery", "Notifications"]


@dataclass(frozen=True)
class AlertChange:
    """An alert that appeared or cleared at a head."""

    id: int
    block_number: int
    block_hash: str
    transition: str  # appeared | cleared
    kind: str
    subject: str
    message: str
    evidence: dict[str, Any]
    recorded_at: float

    def payload(self) -> dict[str, Any]:
        """The change as the stream and the webhooks send it."""
        return {
            "id": self.id,
            "block": self.block_number,
            "block_hash": self.block_hash,
            "transition": self.transition,
            "kind": self.kind,
            "subject": self.subject,
            "message": self.message,
            "evidence": self.evidence,
            "recorded_at": self.recorded_at,
        }


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery of an alert that appeared."""

    id: int
    alert_id: int
    url: str
    status: str
    attempts: int
    next_attempt_at: float
    last_error: str | None
    response_status: int | None
    delivered_at: float | None


class Notifications:
    """The alert log, the monitor's checkpoint and the webhook deliveries of one store."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # ------------------------------------------------------------------------------------- alert log

    def monitored(self) -> Checkpoint | None:
        """The head whose alerts the log reflects (chain id 0: not recorded), or None before the first."""
        with self._engine.connect() as connection:
            row = connection.execute(select(alert_monitor).where(alert_monitor.c.id == 1)).first()
        return None if row is None else Checkpoint(0, row.block_number, row.block_hash)

    def active(self) -> dict[tuple[str, str], AlertChange]:
        """The alerts holding at the monitored head: each (kind, subject)'s last change, if it appeared."""
        newest = (
            select(func.max(alert_log.c.id).label("id"))
            .group_by(alert_log.c.kind, alert_log.c.subject)
            .subquery()
        )
        query = select(alert_log).where(alert_log.c.id.in_(select(newest.c.id))).order_by(alert_log.c.id)
        with self._engine.connect() as connection:
            changes = [_change(row) for row in connection.execute(query)]
        return {
            (change.kind, change.subject): change for change in changes if change.transition == "appeared"
        }

    def record(
        self,
        head: Checkpoint,
        appeared: Sequence[tuple[str, str, str, dict[str, Any]]],
        cleared: Sequence[tuple[str, str, str, dict[str, Any]]],
        urls: Sequence[str],
        now: float,
    ) -> list[AlertChange]:
        """Record, in one transaction, the alerts that ``appeared`` and ``cleared`` at ``head`` (each as
        (kind, subject, message, evidence)), a pending delivery of each one that appeared to every one of
        ``urls``, and ``head`` as monitored. Returns the changes recorded by this call (another process may
        have recorded the same ones first: then they are not repeated)."""
        rows = [
            {
                "block_number": head.block_number,
                "block_hash": head.block_hash,
                "transition": transition,
                "kind": kind,
                "subject": subject,
                "message": message,
                "evidence": json.dumps(evidence, sort_keys=True, default=str),
                "recorded_at": now,
            }
            for transition, changes in (("appeared", appeared), ("cleared", cleared))
            for kind, subject, message, evidence in changes
        ]
        with self._engine.begin() as connection:
            dialect = connection.dialect.name
            if rows:
                connection.execute(
                    insert_ignoring_duplicates(
                        dialect, alert_log, ["block_number", "transition", "kind", "subject"]
                    ),
                    rows,
                )
            recorded = [
                _change(row)
                for row in connection.execute(
                    select(alert_log)
                    .where(alert_log.c.block_number == head.block_number, alert_log.c.recorded_at == now)
                    .order_by(alert_log.c.id)
                )
            ]
            deliveries = [
                {
                    "alert_id": change.id,
                    "url": url,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                }
                for change in recorded
                if change.transition == "appeared"
                for url in urls
            ]
            if deliveries:
                connection.execute(
                    insert_ignoring_duplicates(dialect, webhook_deliveries, ["alert_id", "url"]), deliveries
                )
            values = {"block_number": head.block_number, "block_hash": head.block_hash}
            if not connection.execute(
                update(alert_monitor).where(alert_monitor.c.id == 1).values(**values)
            ).rowcount:
                connection.execute(insert(alert_monitor).values(id=1, **values))
        return recorded

    def forget_reorganised(self) -> int:
        """Delete the changes recorded at blocks the store no longer holds with the same hash (a reorg took
        them away; the monitor looks at the new blocks again), and move the monitor back to the newest change
        kept. Returns how many were deleted."""
        kept = select(blocks.c.number, blocks.c.hash)
        with self._engine.begin() as connection:
            gone = connection.execute(
                delete(alert_log).where(tuple_(alert_log.c.block_number, alert_log.c.block_hash).not_in(kept))
            ).rowcount
            monitor = connection.execute(select(alert_monitor).where(alert_monitor.c.id == 1)).first()
            if monitor is not None:
                still = connection.execute(
                    select(blocks.c.hash).where(blocks.c.number == monitor.block_number)
                ).scalar()
                if still != monitor.block_hash:
                    connection.execute(delete(alert_monitor))
        return int(gone or 0)

    def changes_after(
        self, block: int, after_id: int, up_to_block: int, limit: int = 500
    ) -> list[AlertChange]:
        """The changes recorded after position (``block``, ``after_id``) — later blocks, or the same block
        with a larger id — up to ``up_to_block``, in order."""
        query = (
            select(alert_log)
            .where(
                alert_log.c.block_number <= up_to_block,
                or_(
                    alert_log.c.block_number > block,
                    and_(alert_log.c.block_number == block, alert_log.c.id > after_id),
                ),
            )
            .order_by(alert_log.c.block_number, alert_log.c.id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [_change(row) for row in connection.execute(query)]

    def change(self, alert_id: int) -> AlertChange | None:
        """The change ``alert_id``, or None."""
        with self._engine.connect() as connection:
            row = connection.execute(select(alert_log).where(alert_log.c.id == alert_id)).first()
        return None if row is None else _change(row)

    # ------------------------------------------------------------------------------------ deliveries

    def due(self, now: float, limit: int = 20) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        query = (
            select(webhook_deliveries)
            .where(webhook_deliveries.c.status == "pending", webhook_deliveries.c.next_attempt_at <= now)
            .order_by(webhook_deliveries.c.next_attempt_at, webhook_deliveries.c.id)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def claim(self, delivery_id: int, by: str) -> bool:
        """Take delivery ``delivery_id`` to send it (True), unless another process took it first."""
        with self._engine.begin() as connection:
            claimed = connection.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.status == "pending")
                .values(status="sending", claimed_by=by)
            ).rowcount
        return bool(claimed)

    def finish(
        self,
        delivery_id: int,
        *,
        delivered: bool,
        attempts: int,
        now: float,
        retry_at: float | None,
        error: str | None,
        response_status: int | None,
    ) -> None:
        """Record an attempt: delivered; or failed, to retry at ``retry_at`` (None: every attempt spent)."""
        status = "delivered" if delivered else "pending" if retry_at is not None else "failed"
        values = {
            "status": status,
            "attempts": attempts,
            "last_error": error,
            "response_status": response_status,
            "delivered_at": now if delivered else None,
            "next_attempt_at": retry_at if retry_at is not None else now,
            "claimed_by": None,
        }
        with self._engine.begin() as connection:
            connection.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id).values(**values)
            )

    def release_claims(self, by: str) -> None:
        """Put back the deliveries ``by`` claimed and did not finish (a process that stopped mid-send)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.status == "sending", webhook_deliveries.c.claimed_by == by)
                .values(status="pending", claimed_by=None)
            )

    def deliveries(self, status: str | None = None, limit: int = 100) -> list[Delivery]:
        """The newest deliveries first, of ``status`` if given."""
        query = select(webhook_deliveries).order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(webhook_deliveries.c.status == status)
        with self._engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query)]

    def replay(self, delivery_id: int, now: float) -> bool:
        """Send delivery ``delivery_id`` again from its first attempt (False: there is no such delivery)."""
        with self._engine.begin() as connection:
            found = connection.execute(
                update(webhook_deliveries)
                .where(webhook_deliveries.c.id == delivery_id)
                .values(status="pending", attempts=0, next_attempt_at=now, claimed_by=None, last_error=None)
            ).rowcount
        return bool(found)


def _change(row: Any) -> AlertChange:
    return AlertChange(
        id=int(row.id),
        block_number=int(row.block_number),
        block_hash=str(row.block_hash),
        transition=str(row.transition),
        kind=str(row.kind),
        subject=str(row.subject),
        message=str(row.message),
        evidence=json.loads(row.evidence),
        recorded_at=float(row.recorded_at),
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=int(row.id),
        alert_id=int(row.alert_id),
        url=str(row.url),
        status=str(row.status),
        attempts=int(row.attempts),
        next_attempt_at=float(row.next_attempt_at),
        last_error=row.last_error,
        response_status=row.response_status,
        delivered_at=row.delivered_at,
    )
