"""The escalation store: cases handed to staff, their history, and the alert outbox.

One case per risky conversation: a later message in the same open case is merged into it
(reasons joined, the message kept in the case history) unless it is more urgent, which
opens a new case so the queue shows the higher urgency. Emergency and urgent cases get
their staff alerts written to the outbox in the same transaction (a durable outbox: the
dispatcher in `meso.notify.outbox` delivers them), so a committed case is never left unalerted.

The schema lives in Alembic revision 0001; it is migrated on first use, never at import.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from meso.cases import alerting
from meso.clock import utcnow
from meso.contract import (
    ACTIVE_STATUSES,
    ALERTED_URGENCIES,
    CLAIMED,
    MAX_ACTOR,
    OPEN,
    REASONS,
    RESOLVED,
    STATUSES,
    URGENCIES,
    URGENCY_RANK,
)
from meso.language import LANGUAGES
from meso.settings import Settings, get_settings
from meso.store import db
from meso.store.tables import escalations_table, events_table, outbox_table
from meso.text import clean_text

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4000
MAX_NOTE = 4000

# Retry budget for a transient database failure: ~0.25 s lock wait per attempt
# (meso.store.db.SQLITE_BUSY_TIMEOUT_MS) plus 0.05 + 0.1 s of backoff keeps the worst case
# under a second.
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_S = 0.05




class EscalationUnavailable(Exception):
    """The escalation database cannot be reached or written right now."""


class EscalationNotFound(LookupError):
    """No case has this id."""


class InvalidTransition(ValueError):
    """The case's status does not allow this change (e.g. claiming a resolved case)."""


@dataclass(frozen=True)
class Contact:
    """How (and whether) the patient agreed to be called back."""

    name: Optional[str]
    phone: Optional[str]
    preferred_time: Optional[str]
    consent: Optional[bool]
    # The language the patient wants to be called in (en, es): kept on the case.
    language: Optional[str] = None


@dataclass(frozen=True)
class Escalation:
    """One case in the staff queue."""

    id: int
    conversation_id: str
    channel: str
    urgency: str
    reasons: Tuple[str, ...]
    message: str
    contact: Optional[Contact]
    status: str
    created_at: datetime
    updated_at: datetime
    claimed_by: Optional[str]
    resolved_outcome: Optional[str]
    language: Optional[str] = None


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's history: created, merged, contact, claimed, note, resolved."""

    id: int
    escalation_id: int
    kind: str
    actor: Optional[str]
    detail: Optional[str]
    created_at: datetime


def _escalation(row: Row) -> Escalation:
    fields = (row.contact_name, row.contact_phone, row.contact_time, row.contact_consent)
    contact = (
        None
        if all(value is None for value in fields)
        else Contact(row.contact_name, row.contact_phone, row.contact_time, row.contact_consent)
    )
    return Escalation(
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        urgency=row.urgency,
        reasons=tuple(json.loads(row.reasons)),
        message=row.message,
        contact=contact,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        claimed_by=row.claimed_by,
        resolved_outcome=row.resolved_outcome,
        language=row.language,
    )


def _event(row: Row) -> CaseEvent:
    return CaseEvent(row.id, row.escalation_id, row.kind, row.actor, row.detail, row.created_at)


def _optional(text: Optional[str], max_len: int) -> Optional[str]:
    return clean_text(text, max_len).strip() or None


def _contact_values(contact: Contact) -> Dict[str, Any]:
    """Contact columns; without consent the phone number is not kept."""
    return {
        "contact_name": _optional(contact.name, 200),
        "contact_phone": _optional(contact.phone, 32) if contact.consent else None,
        "contact_time": _optional(contact.preferred_time, 200),
        "contact_consent": None if contact.consent is None else bool(contact.consent),
        **({"language": contact.language} if contact.language in LANGUAGES else {}),
    }


def _actor(actor: str) -> str:
    cleaned = clean_text(actor, MAX_ACTOR).strip()
    if not cleaned:
        raise ValueError("an actor is required")
    return cleaned


QueueKey = Tuple[int, datetime, int]


def queue_key(case: Escalation) -> QueueKey:
    """A case's place in queue order: (urgency position, created_at, id)."""
    position = URGENCIES.index(case.urgency) if case.urgency in URGENCIES else len(URGENCIES)
    return position, case.created_at, case.id


def check_conversation_id(conversation_id: str) -> str:
    """The conversation id unchanged; ValueError unless it has 1-255 characters."""
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 255:
        raise ValueError("conversation_id must have 1 to 255 characters")
    return conversation_id


def validate_codes(urgency: str, reasons: Iterable[str]) -> Tuple[str, ...]:
    """The reason codes without repeats; ValueError unless they and `urgency` are in the contract."""
    if urgency not in URGENCY_RANK:
        raise ValueError(f"unknown urgency {urgency!r}")
    unique = tuple(dict.fromkeys(reasons))
    unknown = [reason for reason in unique if reason not in REASONS]
    if not unique or unknown:
        raise ValueError(f"reasons must be non-empty codes from docs/CONTRACTS.md, got {list(unique)!r}")
    return unique


def _transient(exc: DBAPIError) -> bool:
    """Lock timeouts, refused or dropped connections: worth a retry, then the spool."""
    return isinstance(exc, (OperationalError, InterfaceError)) or bool(exc.connection_invalidated)


# The one engine cache of the escalation database (meso.store.db).
dispose_engines = db.dispose_engines

T = TypeVar("T")


class EscalationStore:
    """Cases, their history and the alert outbox in one SQL database.

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
    def from_settings(cls, settings: Settings, clock: Callable[[], datetime] = utcnow) -> EscalationStore:
        """The store at `settings.escalation_url`, alerting on the configured channels."""
        return cls(settings.escalation_url, alerting.configured_channels(settings), clock)

    # -- plumbing ------------------------------------------------------------------------

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

    # -- recording -----------------------------------------------------------------------

    def record(
        self,
        conversation_id: str,
        channel: str,
        urgency: str,
        reasons: Iterable[str],
        message: str,
        contact: Optional[Contact] = None,
        *,
        key: Optional[str] = None,
        at: Optional[datetime] = None,
        language: Optional[str] = None,
    ) -> Escalation:
        """Records a risky message as a new case or merges it into the open one.

        Args:
            conversation_id: Rasa sender id.
            channel: Input channel name (rest, socketio, sms, ...).
            urgency: emergency, urgent or routine.
            reasons: Reason codes from docs/CONTRACTS.md.
            message: The patient's message; cleaned (controls, bidi) before storing.
            contact: Call-back details, if already known.
            key: Idempotency key (the spool id); a write with a key already recorded
                returns that case unchanged.
            at: When the message arrived (spool replays); defaults to now.
            language: The conversation's language (en, es); the latest one is kept.

        Returns:
            The case as committed.

        Raises:
            ValueError: Unknown urgency or reason codes, or a bad conversation id.
            EscalationUnavailable: The database is down or locked.
        """
        check_conversation_id(conversation_id)
        reason_codes = validate_codes(urgency, reasons)
        text = clean_text(message, MAX_MESSAGE)
        channel = clean_text(channel, 32).strip() or "unknown"
        spoken = language if language in LANGUAGES else None

        def operation(connection: Connection) -> Escalation:
            if key is not None:
                existing = self._by_key(connection, key)
                if existing is not None:
                    return existing
            now = at or self._clock()
            current = self._active_case(connection, conversation_id)
            if current is not None and URGENCY_RANK[urgency] <= URGENCY_RANK[current.urgency]:
                merged = tuple(dict.fromkeys((*current.reasons, *reason_codes)))
                values: Dict[str, Any] = {
                    "reasons": json.dumps(merged),
                    "updated_at": max(now, current.updated_at),
                }
                if contact is not None:
                    values.update(_contact_values(contact))
                if spoken:
                    values["language"] = spoken
                connection.execute(
                    escalations_table.update().where(escalations_table.c.id == current.id).values(**values)
                )
                self._add_event(connection, current.id, "merged", None, text, now, key)
                logger.info(
                    "escalation %d: merged a %s message (%s)", current.id, urgency, ",".join(reason_codes)
                )
                return self._get(connection, current.id)
            values = {
                "conversation_id": conversation_id,
                "channel": channel,
                "urgency": urgency,
                "reasons": json.dumps(reason_codes),
                "message": text,
                "status": OPEN,
                "created_at": now,
                "updated_at": now,
                "language": spoken,
                **(_contact_values(contact) if contact is not None else {}),
            }
            case_id = connection.execute(escalations_table.insert().values(**values)).inserted_primary_key[0]
            self._add_event(connection, case_id, "created", None, None, now, key)
            if urgency in ALERTED_URGENCIES:
                self._enqueue_alerts(connection, case_id, urgency, reason_codes, channel, now, spoken)
            logger.info("escalation %d: opened (%s: %s)", case_id, urgency, ",".join(reason_codes))
            return self._get(connection, case_id)

        return self._keyed(operation, key)

    def attach_contact(
        self,
        conversation_id: str,
        contact: Contact,
        *,
        key: Optional[str] = None,
        at: Optional[datetime] = None,
    ) -> Optional[Escalation]:
        """Adds call-back details (or a refusal) to the conversation's open case.

        Without consent the phone number is not stored.

        Returns:
            The updated case, or None when the conversation has no open case.

        Raises:
            EscalationUnavailable: The database is down or locked.
        """

        def operation(connection: Connection) -> Optional[Escalation]:
            if key is not None:
                existing = self._by_key(connection, key)
                if existing is not None:
                    return existing
            current = self._active_case(connection, conversation_id)
            if current is None:
                return None
            now = at or self._clock()
            connection.execute(
                escalations_table.update()
                .where(escalations_table.c.id == current.id)
                .values(updated_at=max(now, current.updated_at), **_contact_values(contact))
            )
            detail = "call back agreed" if contact.consent else "call back declined"
            self._add_event(connection, current.id, "contact", None, detail, now, key)
            logger.info("escalation %d: contact details updated", current.id)
            return self._get(connection, current.id)

        return self._keyed(operation, key)

    def _keyed(self, operation: Callable[[Connection], T], key: Optional[str]) -> T:
        try:
            return self.run_in_transaction(operation)
        except IntegrityError:
            # Another process replayed the same key concurrently: its write won.
            if key is None:
                raise
            return self.run_in_transaction(operation)

    def _enqueue_alerts(
        self,
        connection: Connection,
        case_id: int,
        urgency: str,
        reasons: Tuple[str, ...],
        channel: str,
        now: datetime,
        language: Optional[str] = None,
    ) -> None:
        payload = alerting.alert_payload(case_id, urgency, reasons, channel, now.isoformat(), language)
        for alert_channel in self.alert_channels:
            connection.execute(
                outbox_table.insert().values(
                    escalation_id=case_id,
                    channel=alert_channel,
                    payload=json.dumps(payload),
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                )
            )

    # -- reading -------------------------------------------------------------------------

    @staticmethod
    def _get(connection: Connection, case_id: int) -> Escalation:
        row = connection.execute(
            sa.select(escalations_table).where(escalations_table.c.id == case_id)
        ).first()
        if row is None:
            raise EscalationNotFound(case_id)
        return _escalation(row)

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
        return None if row is None else _escalation(row)

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

    def get(self, case_id: int) -> Optional[Escalation]:
        """The case with this id, or None."""

        def operation(connection: Connection) -> Optional[Escalation]:
            try:
                return self._get(connection, case_id)
            except EscalationNotFound:
                return None

        return self.run_in_transaction(operation)

    def events(self, case_id: int) -> List[CaseEvent]:
        """The case history, oldest first."""
        query = (
            sa.select(events_table).where(events_table.c.escalation_id == case_id).order_by(events_table.c.id)
        )
        return self.run_in_transaction(lambda connection: [_event(row) for row in connection.execute(query)])

    def list(
        self,
        status: Optional[str] = None,
        urgency: Optional[str] = None,
        reason: Optional[str] = None,
        channel: Optional[str] = None,
        limit: int = 100,
        *,
        conversation_id: Optional[str] = None,
        updated_since: Optional[datetime] = None,
        after: Optional[QueueKey] = None,
        max_id: Optional[int] = None,
    ) -> List[Escalation]:
        """Cases in queue order: emergency first, then urgent, routine; oldest first within.

        The order is total and never changes for a case (urgency and created_at are set
        once, ids are unique), so it is a keyset: `after` continues strictly after a case,
        and pages never repeat or skip a case that existed when the walk began.

        Args:
            status: open, claimed or resolved.
            urgency: emergency, urgent or routine.
            reason: A reason code the case must include.
            channel: The conversation channel.
            limit: At most this many cases.
            conversation_id: Only cases of this conversation.
            updated_since: Only cases changed at or after this time (aware).
            after: Only cases after this one in queue order (`queue_key` of the last seen).
            max_id: Only cases with an id up to this one (`high_water` when the walk began),
                so cases created during a walk do not shift it.
        """
        table = escalations_table
        rank = sa.case(
            *((table.c.urgency == name, position) for position, name in enumerate(URGENCIES)),
            else_=len(URGENCIES),
        )
        query = sa.select(table).order_by(rank, table.c.created_at, table.c.id).limit(max(0, int(limit)))
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r}")
            query = query.where(table.c.status == status)
        if urgency is not None:
            if urgency not in URGENCY_RANK:
                raise ValueError(f"unknown urgency {urgency!r}")
            query = query.where(table.c.urgency == urgency)
        if reason is not None:
            if reason not in REASONS:
                raise ValueError(f"unknown reason {reason!r}")
            # Reason codes are plain identifiers, so a JSON string match is exact.
            query = query.where(table.c.reasons.like(f'%"{reason}"%'))
        if channel is not None:
            query = query.where(table.c.channel == channel)
        if conversation_id is not None:
            query = query.where(table.c.conversation_id == conversation_id)
        if updated_since is not None:
            query = query.where(table.c.updated_at >= updated_since)
        if max_id is not None:
            query = query.where(table.c.id <= int(max_id))
        if after is not None:
            position, created_at, case_id = after
            query = query.where(
                sa.or_(
                    rank > position,
                    sa.and_(rank == position, table.c.created_at > created_at),
                    sa.and_(rank == position, table.c.created_at == created_at, table.c.id > case_id),
                )
            )
        return self.run_in_transaction(
            lambda connection: [_escalation(row) for row in connection.execute(query)]
        )

    def high_water(self) -> int:
        """The largest case id so far (0 when there is none): where a paged walk stops."""
        query = sa.select(sa.func.max(escalations_table.c.id))
        return self.run_in_transaction(lambda connection: int(connection.execute(query).scalar() or 0))

    def counts(self) -> Dict[str, Dict[str, int]]:
        """{"status": {open, claimed, resolved}, "urgency": {...}} — urgency counts unresolved cases."""
        table = escalations_table

        def operation(connection: Connection) -> Dict[str, Dict[str, int]]:
            by_status = dict.fromkeys(STATUSES, 0)
            for status, count in connection.execute(
                sa.select(table.c.status, sa.func.count()).group_by(table.c.status)
            ):
                by_status[status] = count
            by_urgency = dict.fromkeys(URGENCIES, 0)
            for urgency, count in connection.execute(
                sa.select(table.c.urgency, sa.func.count())
                .where(table.c.status.in_(ACTIVE_STATUSES))
                .group_by(table.c.urgency)
            ):
                by_urgency[urgency] = count
            return {"status": by_status, "urgency": by_urgency}

        return self.run_in_transaction(operation)

    # -- staff actions -------------------------------------------------------------------

    def _change(
        self,
        case_id: int,
        actor: str,
        kind: str,
        detail: Optional[str],
        allowed: Tuple[str, ...],
        values: Dict[str, Any],
    ) -> Tuple[Escalation, CaseEvent]:
        def operation(connection: Connection) -> Tuple[Escalation, CaseEvent]:
            row = connection.execute(
                sa.select(escalations_table.c.status)
                .where(escalations_table.c.id == case_id)
                .with_for_update()
            ).first()
            if row is None:
                raise EscalationNotFound(case_id)
            if row.status not in allowed:
                raise InvalidTransition(f"case {case_id} is {row.status}: no {kind!r} allowed")
            now = self._clock()
            connection.execute(
                escalations_table.update()
                .where(escalations_table.c.id == case_id)
                .values(updated_at=now, **values)
            )
            event = self._add_event(connection, case_id, kind, actor, detail, now)
            return self._get(connection, case_id), event

        changed = self.run_in_transaction(operation)
        logger.info("escalation %d: %s", case_id, kind)
        return changed

    def claim(self, case_id: int, actor: str) -> Escalation:
        """Marks the case as being handled by `actor` (an open or claimed case).

        Raises:
            EscalationNotFound: No such case.
            InvalidTransition: The case is resolved.
        """
        actor = _actor(actor)
        return self._change(
            case_id, actor, "claimed", None, ACTIVE_STATUSES, {"status": CLAIMED, "claimed_by": actor}
        )[0]

    def add_note(self, case_id: int, actor: str, text: str) -> CaseEvent:
        """Adds a staff note to the case history (any status).

        Raises:
            EscalationNotFound: No such case.
            ValueError: Empty note.
        """
        note = clean_text(text, MAX_NOTE).strip()
        if not note:
            raise ValueError("a note needs text")
        return self._change(case_id, _actor(actor), "note", note, STATUSES, {})[1]

    def resolve(self, case_id: int, actor: str, outcome: str) -> Escalation:
        """Closes the case with an outcome (an open or claimed case).

        Raises:
            EscalationNotFound: No such case.
            InvalidTransition: The case is already resolved.
        """
        outcome = clean_text(outcome, MAX_NOTE).strip()
        if not outcome:
            raise ValueError("an outcome is required")
        return self._change(
            case_id,
            _actor(actor),
            "resolved",
            outcome,
            ACTIVE_STATUSES,
            {"status": RESOLVED, "resolved_outcome": outcome},
        )[0]

    # -- retention -----------------------------------------------------------------------

    def delete_older_than(self, cutoff: datetime) -> int:
        """Deletes cases with no activity since `cutoff`, with their history and alerts.

        Args:
            cutoff: Timezone-aware; cases last updated before it are deleted, whatever
                their status (retention of health information).

        Returns:
            How many cases were deleted.
        """

        def operation(connection: Connection) -> int:
            old = (
                sa.select(escalations_table.c.id)
                .where(escalations_table.c.updated_at < cutoff)
                .scalar_subquery()
            )
            connection.execute(outbox_table.delete().where(outbox_table.c.escalation_id.in_(old)))
            connection.execute(events_table.delete().where(events_table.c.escalation_id.in_(old)))
            return int(
                connection.execute(
                    escalations_table.delete().where(escalations_table.c.updated_at < cutoff)
                ).rowcount
            )

        deleted = self.run_in_transaction(operation)
        logger.info("retention: deleted %d escalations last active before %s", deleted, cutoff.isoformat())
        return deleted
