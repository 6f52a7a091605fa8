"""The escalation store's plumbing: the engine, retried transactions, the health ping, row lookups."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Callable, Optional, Sequence, Tuple, Type, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from meso.cases import alerting
from meso.cases.model import (
    CaseEvent,
    Escalation,
    EscalationNotFound,
    EscalationUnavailable,
    escalation_from_row,
)
from meso.clock import utcnow
from meso.contract import (
    ACTIVE_STATUSES,
)
from meso.settings import Settings, get_settings
from meso.store import db
from meso.store.tables import escalations_table, events_table

logger = logging.getLogger(__name__)


# Retry budget for a transient database failure: ~0.25 s lock wait per attempt
# (meso.store.db.SQLITE_BUSY_TIMEOUT_MS) plus 0.05 + 0.1 s of backoff keeps the worst case
# under a second.
RETRY_ATTEMPTS = 3


RETRY_BACKOFF_S = 0.05


def _transient(exc: DBAPIError) -> bool:
    """Lock timeouts, refused or dropped connections: worth a retry, then the spool."""
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(exc.connection_invalidated)


# The one engine cache of the escalation database (meso.store.db).
dispose_engines = db.dispose_engines


T = TypeVar("T")
S = TypeVar("S", bound="StoreBase")


class StoreBase:
    """The store's plumbing: its database, its alert channels, retried transactions.

    Args:
        url: SQLAlchemy URL (SQLite or PostgreSQL).
        alert_channels: Outbox channels for emergency and urgent cases; None reads them
            from the environment settings on first use (`alerting.configured_channels`).
        clock: Returns the current aware UTC time; tests pass their own.
    """

    def __init__(
        self,
        url: str,
        alert_channels: Optional[Sequence[str]] = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.url = url
        self._alert_channels = None if alert_channels is None else tuple(alert_channels)
        self._clock = clock

    @classmethod
    def from_settings(cls: Type[S], settings: Settings, clock: Callable[[], datetime] = utcnow) -> S:
        """The store at `settings.escalation_url`, alerting on the configured channels."""
        return cls(settings.escalation_url, alerting.configured_channels(settings), clock)

    @property
    def alert_channels(self) -> Tuple[str, ...]:
        """The outbox channels emergency and urgent cases are alerted on."""
        if self._alert_channels is None:
            self._alert_channels = alerting.configured_channels(get_settings())
        return self._alert_channels

    @property
    def engine(self) -> Engine:
        """The engine, after migrating the schema on first use in this process."""
        return db.engine(self.url)

    def run_in_transaction(self, operation: Callable[[Connection], T], attempts: int = RETRY_ATTEMPTS) -> T:
        """Runs `operation` in one transaction, retrying transient failures briefly.

        Raises:
            EscalationUnavailable: The database stayed unreachable or locked.
        """
        delay = RETRY_BACKOFF_S
        for attempt in range(1, attempts + 1):
            try:
                with self.engine.begin() as connection:
                    return operation(connection)
            except DBAPIError as exc:
                if not _transient(exc):
                    raise
                if attempt == attempts:
                    logger.warning(
                        "escalation database unavailable after %d attempts: %s", attempt, type(exc).__name__
                    )
                    reason = (str(exc.orig or exc).splitlines() or [type(exc).__name__])[0]
                    raise EscalationUnavailable(reason) from exc
                time.sleep(delay)
                delay *= 2
            except OSError as exc:  # e.g. the SQLite folder cannot be created
                logger.warning("escalation database unavailable: %s", type(exc).__name__)
                raise EscalationUnavailable(str(exc)) from exc
        raise AssertionError("unreachable")

    def ping(self) -> bool:
        """True when the database answers, its schema is migrated and it takes writes now.

        The probe is an UPDATE that matches no row: it needs the write lock, so a SQLite
        file locked by another process reads as down (a SELECT would still succeed).
        """

        def probe(connection: Connection) -> bool:
            connection.execute(
                escalations_table.update().where(sa.false()).values(status=escalations_table.c.status)
            )
            return True

        try:
            return self.run_in_transaction(probe, attempts=1)
        except Exception:  # noqa: BLE001 - health reports, never raises
            return False

    def _keyed(self, operation: Callable[[Connection], T], key: Optional[str]) -> T:
        try:
            return self.run_in_transaction(operation)
        except IntegrityError:
            # Another process replayed the same key concurrently: its write won.
            if key is None:
                raise
            return self.run_in_transaction(operation)

    @staticmethod
    def _get(connection: Connection, case_id: int) -> Escalation:
        row = connection.execute(
            sa.select(escalations_table).where(escalations_table.c.id == case_id)
        ).first()
        if row is None:
            raise EscalationNotFound(case_id)
        return escalation_from_row(row)

    @staticmethod
    def _active_case(connection: Connection, conversation_id: str) -> Optional[Escalation]:
        row = connection.execute(
            sa.select(escalations_table)
            .where(
                escalations_table.c.conversation_id == conversation_id,
                escalations_table.c.status.in_(ACTIVE_STATUSES),
            )
            .order_by(escalations_table.c.created_at.desc(), escalations_table.c.id.desc())
            .limit(1)
            .with_for_update()
        ).first()
        return None if row is None else escalation_from_row(row)

    def _by_key(self, connection: Connection, key: str) -> Optional[Escalation]:
        case_id = connection.execute(
            sa.select(events_table.c.escalation_id).where(events_table.c.dedup_key == key)
        ).scalar()
        return None if case_id is None else self._get(connection, case_id)

    @staticmethod
    def _add_event(
        connection: Connection,
        case_id: int,
        kind: str,
        actor: Optional[str],
        detail: Optional[str],
        now: datetime,
        key: Optional[str] = None,
    ) -> CaseEvent:
        event_id = connection.execute(
            events_table.insert().values(
                escalation_id=case_id, kind=kind, actor=actor, detail=detail, created_at=now, dedup_key=key
            )
        ).inserted_primary_key[0]
        return CaseEvent(event_id, case_id, kind, actor, detail, now)
