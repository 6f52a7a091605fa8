"""A case and its history as the store returns them, and the checks on what is written."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, Iterable, Optional, Tuple

from sqlalchemy.engine import Row

from meso.contract import (
    MAX_ACTOR,
    REASONS,
    URGENCIES,
    URGENCY_RANK,
)
from meso.language import LANGUAGES
from meso.text import clean_text

MAX_MESSAGE = 4000


MAX_NOTE = 4000


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


def escalation_from_row(row: Row) -> Escalation:
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


def event_from_row(row: Row) -> CaseEvent:
    return CaseEvent(row.id, row.escalation_id, row.kind, row.actor, row.detail, row.created_at)


def optional_text(text: Optional[str], max_len: int) -> Optional[str]:
    return clean_text(text, max_len).strip() or None


def contact_values(contact: Contact) -> Dict[str, Any]:
    """Contact columns; without consent the phone number is not kept."""
    return {
        "contact_name": optional_text(contact.name, 200),
        "contact_phone": optional_text(contact.phone, 32) if contact.consent else None,
        "contact_time": optional_text(contact.preferred_time, 200),
        "contact_consent": None if contact.consent is None else bool(contact.consent),
        **({"language": contact.language} if contact.language in LANGUAGES else {}),
    }


def clean_actor(actor: str) -> str:
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
