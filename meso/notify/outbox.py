"""The outbox dispatcher: delivers staff alerts written with each urgent case.

`EscalationStore.record` writes one outbox row per configured channel in the same
transaction as an emergency or urgent case. This dispatcher claims due rows one by one
(a short lease in `next_attempt_at`, so two dispatchers never send the same row at the
same time), sends them, and marks them delivered. A failure is retried with exponential
backoff until `max_attempts`, after which the row keeps its `last_error` for staff.
Delivery is at least once: receivers can drop repeats by the delivery id.

Run it as its own process: `python -m meso.notify.outbox`.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meso.cases.escalations import EscalationStore, EscalationUnavailable
from meso.clock import utcnow
from meso.notify import alerts
from meso.settings import Settings, get_settings
from meso.store.tables import outbox_table

logger = logging.getLogger(__name__)


class OutboxDispatcher:
    """Delivers due outbox rows through the configured senders.

    Args:
        store: The escalation store whose outbox is delivered.
        senders: Channel name -> sender (see `alerts.senders_from_settings`).
        clock: Returns the current aware UTC time.
        base_delay: Seconds before the first retry; doubles with each failure.
        max_delay: Longest wait between two attempts, in seconds.
        max_attempts: Attempts before a row is given up (it keeps `last_error`).
        lease: Seconds a claimed row is reserved for this dispatcher while sending.
        batch: Rows claimed per `run_once`.
    """

    def __init__(
        self,
        store: EscalationStore,
        senders: Mapping[str, alerts.AlertSender],
        *,
        clock: Callable[[], datetime] = utcnow,
        base_delay: float = 5.0,
        max_delay: float = 900.0,
        max_attempts: int = 10,
        lease: float = 120.0,
        batch: int = 20,
    ) -> None:
        self.store = store
        self.senders: Dict[str, alerts.AlertSender] = dict(senders)
        self.clock = clock
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.lease = lease
        self.batch = batch

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> OutboxDispatcher:
        """A dispatcher for `settings.escalation_url` with the configured senders.

        Raises:
            ValueError: A channel is half configured (e.g. webhook URL without secret).
        """
        return cls(EscalationStore.from_settings(settings), alerts.senders_from_settings(settings), **options)

    def backoff(self, attempts: int) -> timedelta:
        """Wait after the `attempts`-th failed attempt: base * 2^(attempts-1), capped."""
        return timedelta(seconds=min(self.base_delay * 2 ** max(attempts - 1, 0), self.max_delay))

    def _due(self, connection: Connection, now: datetime) -> List[Any]:
        table = outbox_table
        return list(
            connection.execute(
                sa.select(
                    table.c.id, table.c.channel, table.c.payload, table.c.attempts, table.c.next_attempt_at
                )
                .where(
                    table.c.delivered_at.is_(None),
                    table.c.attempts < self.max_attempts,
                    table.c.next_attempt_at <= now,
                )
                .order_by(table.c.next_attempt_at, table.c.id)
                .limit(self.batch)
            )
        )

    def _claim(self, row: Any, now: datetime) -> bool:
        """Reserves the row for `lease` seconds; False if another dispatcher took it."""
        table = outbox_table

        def operation(connection: Connection) -> bool:
            result = connection.execute(
                table.update()
                .where(
                    table.c.id == row.id,
                    table.c.delivered_at.is_(None),
                    table.c.attempts == row.attempts,
                    table.c.next_attempt_at == row.next_attempt_at,
                )
                .values(next_attempt_at=now + timedelta(seconds=self.lease))
            )
            return result.rowcount == 1

        return self.store.run_in_transaction(operation)

    def _finish(self, row: Any, error: Optional[str]) -> None:
        now = self.clock()
        attempts = row.attempts + 1
        values: Dict[str, Any] = {"attempts": attempts}
        if error is None:
            values.update(delivered_at=now, last_error=None)
        else:
            values.update(last_error=error[:500], next_attempt_at=now + self.backoff(attempts))
        self.store.run_in_transaction(
            lambda connection: connection.execute(
                outbox_table.update().where(outbox_table.c.id == row.id).values(**values)
            )
        )

    def _send(self, row: Any) -> Optional[str]:
        """Sends one row; returns None on success or a short error (no patient data)."""
        sender = self.senders.get(row.channel)
        if sender is None:
            return f"channel {row.channel!r} not configured in this dispatcher"
        try:
            sender.send(json.loads(row.payload), row.id)
        except alerts.AlertError as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - any sender failure is retried
            return f"{type(exc).__name__}"
        return None

    def run_once(self) -> int:
        """Delivers every due row once.

        Returns:
            How many alerts were delivered.

        Raises:
            EscalationUnavailable: The database is unavailable.
        """
        now = self.clock()
        delivered = 0
        for row in self.store.run_in_transaction(lambda connection: self._due(connection, now)):
            if not self._claim(row, now):
                continue
            error = self._send(row)
            self._finish(row, error)
            if error is None:
                delivered += 1
                logger.info("outbox %d: %s alert delivered", row.id, row.channel)
            elif row.attempts + 1 >= self.max_attempts:
                logger.error(
                    "outbox %d: %s alert given up after %d attempts: %s",
                    row.id,
                    row.channel,
                    row.attempts + 1,
                    error,
                )
            else:
                logger.warning(
                    "outbox %d: %s alert failed (attempt %d): %s",
                    row.id,
                    row.channel,
                    row.attempts + 1,
                    error,
                )
        return delivered

    def run_forever(self, stop_event: threading.Event, interval: float = 2.0) -> None:
        """Runs `run_once` every `interval` seconds until `stop_event` is set."""
        logger.info("outbox dispatcher started: channels %s", ", ".join(sorted(self.senders)) or "none")
        while not stop_event.is_set():
            try:
                self.run_once()
            except EscalationUnavailable as exc:
                logger.warning("outbox: database unavailable (%s); retrying", exc)
            except Exception:  # noqa: BLE001 - the loop must survive and keep alerting
                logger.exception("outbox: dispatch failed")
            stop_event.wait(interval)
        logger.info("outbox dispatcher stopped")


def main() -> int:
    """Entry point of `python -m meso.notify.outbox`: the dispatcher loop until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        dispatcher = OutboxDispatcher.from_settings(settings)
    except ValueError as exc:
        logger.error("outbox: %s", exc)
        return 2
    if not dispatcher.senders:
        logger.warning("outbox: %s", alerts.NO_CHANNEL_WARNING)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    dispatcher.run_forever(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
