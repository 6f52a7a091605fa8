"""What a patient's conversation writes: a case (merged or new), its alerts, the call-back details."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any, Dict, Iterable, Optional, Tuple

from sqlalchemy.engine import Connection

from meso.cases import alerting
from meso.cases.model import (
    MAX_MESSAGE,
    Contact,
    Escalation,
    check_conversation_id,
    contact_values,
    validate_codes,
)
from meso.cases.transactions import StoreBase
from meso.contract import (
    ALERTED_URGENCIES,
    OPEN,
    URGENCY_RANK,
)
from meso.language import LANGUAGES
from meso.store.tables import escalations_table, outbox_table
from meso.text import clean_text

logger = logging.getLogger(__name__)


class PatientWrites(StoreBase):
    """What a patient's conversation writes: a case (merged or new), its alerts, the call-back details."""

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
                    values.update(contact_values(contact))
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
                **(contact_values(contact) if contact is not None else {}),
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
                .values(updated_at=max(now, current.updated_at), **contact_values(contact))
            )
            detail = "call back agreed" if contact.consent else "call back declined"
            self._add_event(connection, current.id, "contact", None, detail, now, key)
            logger.info("escalation %d: contact details updated", current.id)
            return self._get(connection, current.id)

        return self._keyed(operation, key)

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
