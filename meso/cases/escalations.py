"""The escalation store: cases handed to staff, their history, and the alert outbox.

One case per risky conversation: a later message in the same open case is merged into it
(reasons joined, the message kept in the case history) unless it is more urgent, which
opens a new case so the queue shows the higher urgency. Emergency and urgent cases get
their staff alerts written to the outbox in the same transaction (a durable outbox: the
dispatcher in `meso.notify.outbox` delivers them), so a committed case is never left unalerted.

The schema lives in Alembic revision 0001; it is migrated on first use, never at import.

The store is cut by what each part does: `model` (the case, its history, the checks),
`transactions` (engine, retries, ping), `patient_writes`, `queue` (staff reads),
`staff_actions` and `retention`; `EscalationStore` joins them.
"""

from __future__ import annotations

from meso.cases.model import (
    MAX_MESSAGE,
    MAX_NOTE,
    CaseEvent,
    Contact,
    Escalation,
    EscalationNotFound,
    EscalationUnavailable,
    InvalidTransition,
    QueueKey,
    check_conversation_id,
    queue_key,
    validate_codes,
)
from meso.cases.patient_writes import PatientWrites
from meso.cases.queue import QueueQueries
from meso.cases.retention import Retention
from meso.cases.staff_actions import StaffActions
from meso.cases.transactions import RETRY_ATTEMPTS, RETRY_BACKOFF_S, dispose_engines
from meso.clock import utcnow
from meso.store.tables import escalations_table, events_table, outbox_table

__all__ = [
    "MAX_MESSAGE", "MAX_NOTE", "RETRY_ATTEMPTS", "RETRY_BACKOFF_S", "CaseEvent", "Contact", "Escalation",
    "EscalationNotFound", "EscalationStore", "EscalationUnavailable", "InvalidTransition", "QueueKey",
    "check_conversation_id", "dispose_engines", "escalations_table", "events_table", "outbox_table",
    "queue_key", "utcnow", "validate_codes",
]


class EscalationStore(PatientWrites, QueueQueries, StaffActions, Retention):
    """Cases, their history and the alert outbox in one SQL database.

    Args:
        url: SQLAlchemy URL (SQLite or PostgreSQL).
        alert_channels: Outbox channels for emergency and urgent cases; None reads them
            from the environment settings on first use (`alerting.configured_channels`).
        clock: Returns the current aware UTC time; tests pass their own.
    """
