"""Alerts that reach people: the alert monitor, which records each alert as it appears or clears at the head,
and the webhook deliverer, which posts each alert that appeared to the operator's URLs.

**The monitor** (:class:`AlertMonitor`, a thread of the API process) looks at every new indexed head once its
figures are computed: the alerts there (``/v1/alerts``'s) against those that held at the last head it
looked at. An alert is its (kind, subject): one *appears* at the first head where it holds and *clears* at
the first where it no longer does (its evidence may change in between without a new alert). The changes go to
the store's alert log with a pending delivery per webhook URL for each alert that appeared, in one
transaction, idempotently (:mod:`ledger.store.notifications`): API processes sharing a PostgreSQL store
record each change once. After a reorganisation the changes at blocks that are gone are forgotten and the
new blocks looked at again.

**The deliverer** (:class:`WebhookDeliverer`, another thread) posts each due delivery: JSON
``{"delivery": id, "alert": {...}}``, with ``X-Coopledger-Signature: sha256=<hex>``, the HMAC-SHA256 of the
body under the shared secret (``webhook_secret``), so a receiver can tell the ledger sent it
(:func:`signature`). A 2xx answer delivers it; anything else (an error status, a refused connection, a
timeout) is retried after ``webhook_retry_seconds``, doubling each time up to ten minutes, until
``webhook_max_attempts`` attempts failed. A delivery is claimed before it is sent, so two processes never
send the same one; each attempt's outcome is recorded (``coopledger webhooks list`` shows them,
``coopledger webhooks replay`` sends one again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence

import requests

from ledger.analytics.metrics.alerts import Alert
from ledger.exceptions import CoopLedgerError
from ledger.store import Store
from ledger.store.notifications import Delivery
from ledger.types import Checkpoint

__all__ = ["AlertMonitor", "WebhookDeliverer", "signature"]

log = logging.getLogger("coopledger.notify")

MAX_RETRY_SECONDS = 600.0
SIGNATURE_HEADER = "X-Coopledger-Signature"


def signature(secret: str, body: bytes) -> str:
    """The value of :data:`SIGNATURE_HEADER` for ``body``: ``sha256=`` and the hex HMAC-SHA256 under
    ``secret``. A receiver checks it with :func:`hmac.compare_digest` on the raw body it received."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class _Every:
    """A daemon thread that calls :meth:`once` every ``interval`` seconds until :meth:`stop`; a failure is
    logged and the next call made on time (the store down is said briefly, anything else with its trace)."""

    thread_name = "coopledger-loop"
    join_seconds = 10.0

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def once(self) -> int:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.join_seconds)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.once()
            except CoopLedgerError as exc:  # the store is down: try again later
                log.info("%s: %s", self.thread_name, exc)
            except Exception:  # never let the thread die silently
                log.exception("%s failed; it tries again", self.thread_name)


class AlertMonitor(_Every):
    """Records the alerts that appear and clear at each new head (see the module's docstring).

    Parameters
    ----------
    store
        The store whose alert log it writes.
    alerts_at_head
        The alerts at the indexed head once its figures are computed there, with that head; None while
        they are not (the monitor asks again at its next look).
    urls
        The webhook URLs each alert that appeared is delivered to.
    interval
        Seconds between two looks.
    """

    def __init__(
        self,
        store: Store,
        alerts_at_head: Callable[[], tuple[Checkpoint, list[Alert]] | None],
        urls: Sequence[str],
        interval: float,
    ) -> None:
        super().__init__(interval)
        self.store, self.alerts_at_head, self.urls = store, alerts_at_head, list(urls)

    thread_name = "coopledger-alert-monitor"

    def once(self) -> int:
        return self.look()

    def look(self) -> int:
        """Record the changes at the head, if it is new and its figures are computed; how many."""
        notes = self.store.notifications
        monitored = notes.monitored()
        if monitored is not None and self.store.block_hash(monitored.block_number) != monitored.block_hash:
            forgotten = notes.forget_reorganised()
            log.warning(
                "reorganisation: %d alert change(s) at blocks no longer on chain forgotten", forgotten
            )
            monitored = notes.monitored()
        head = self.store.checkpoint()
        if head is None or (monitored is not None and monitored.block_hash == head.block_hash):
            return 0
        found = self.alerts_at_head()
        if found is None:
            return 0
        at, alerts = found
        current = {(alert.kind, alert.subject): alert for alert in alerts}
        active = notes.active()
        appeared = [
            (alert.kind, alert.subject, alert.message, alert.evidence)
            for key, alert in current.items()
            if key not in active
        ]
        cleared = [
            (change.kind, change.subject, change.message, change.evidence)
            for key, change in active.items()
            if key not in current
        ]
        recorded = notes.record(at, appeared, cleared, self.urls, time.time())
        if recorded or appeared or cleared:
            log.info(
                "alerts at block %d: %d appeared, %d cleared", at.block_number, len(appeared), len(cleared)
            )
        return len(recorded)


class WebhookDeliverer(_Every):
    """Posts the due webhook deliveries (see the module's docstring)."""

    def __init__(
        self,
        store: Store,
        secret: str,
        max_attempts: int,
        retry_seconds: float,
        interval: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        super().__init__(interval)
        self.store, self.secret = store, secret
        self.max_attempts, self.retry_seconds = max_attempts, retry_seconds
        self.timeout, self.join_seconds = timeout, timeout + 5  # a send under way may end
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self._client = requests.Session()

    thread_name = "coopledger-webhooks"

    def once(self) -> int:
        return self.deliver_due()

    def stop(self) -> None:
        super().stop()
        self._client.close()
        try:
            self.store.notifications.release_claims(self.name)
        except CoopLedgerError as exc:
            log.info("webhook claims not released: %s", exc)

    def deliver_due(self) -> int:
        """Send every due delivery this process can claim; how many were sent (delivered or not)."""
        notes = self.store.notifications
        sent = 0
        for delivery in notes.due(time.time()):
            if self._stop.is_set():
                break
            if notes.claim(delivery.id, self.name):
                self._send(delivery)
                sent += 1
        return sent

    def _send(self, delivery: Delivery) -> None:
        notes = self.store.notifications
        change = notes.change(delivery.alert_id)
        attempts = delivery.attempts + 1
        now = time.time()
        if change is None:  # a reorganisation took the alert away: nothing to say any more
            notes.finish(
                delivery.id,
                delivered=False,
                attempts=attempts,
                now=now,
                retry_at=None,
                error="the alert was recorded at a block a reorganisation took away",
                response_status=None,
            )
            return
        body = json.dumps({"delivery": delivery.id, "alert": change.payload()}, sort_keys=True).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, body),
            "X-Coopledger-Delivery": str(delivery.id),
            "X-Coopledger-Event": f"alert.{change.transition}",
        }
        status: int | None = None
        error: str | None = None
        try:
            response = self._client.post(delivery.url, data=body, headers=headers, timeout=self.timeout)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"the receiver answered {status}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            notes.finish(
                delivery.id,
                delivered=True,
                attempts=attempts,
                now=now,
                retry_at=None,
                error=None,
                response_status=status,
            )
            log.info("webhook %d delivered to %s", delivery.id, delivery.url)
            return
        retry_at = None
        if attempts < self.max_attempts:
            retry_at = now + min(self.retry_seconds * 2 ** (attempts - 1), MAX_RETRY_SECONDS)
        notes.finish(
            delivery.id,
            delivered=False,
            attempts=attempts,
            now=now,
            retry_at=retry_at,
            error=error,
            response_status=status,
        )
        log.warning("webhook %d to %s failed (attempt %d): %s", delivery.id, delivery.url, attempts, error)
