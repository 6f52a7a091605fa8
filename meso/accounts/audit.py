"""The append-only audit log: who saw or changed what, and when.

Entries name cases by id and never carry patient text, names or phone numbers. The store
has no update or delete; the database refuses both with a trigger (Alembic revision 0002),
so not even a bug or a direct SQL session can rewrite history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from meso.clock import utcnow
from meso.contract import MAX_ACTOR
from meso.store import db
from meso.store.tables import MAX_ACTION, MAX_TARGET, audit_table
from meso.text import clean_text

MAX_DETAIL = 1000

@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    actor: str
    action: str
    target: Optional[str]
    detail: Optional[str]


def shared_engine(url: str) -> Engine:
    """The process-wide engine for the escalation database, migrated on first use."""
    return db.engine(url)


class AuditLog:
    """Appends to and reads the audit log.

    Args:
        url: SQLAlchemy URL of the escalation database (the log lives beside the cases).
        clock: Returns the current aware UTC time; tests pass their own.
    """

    def __init__(self, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.url = url
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    def record(
        self, actor: str, action: str, target: Optional[str] = None, detail: Optional[str] = None
    ) -> AuditEntry:
        """Appends one entry; raises when the database cannot take it (callers fail closed).

        Args:
            actor: A staff username, "api", "system" or "anonymous".
            action: A dotted verb such as "case.view" or "login.failed".
            target: What it was done to, e.g. "escalation:12".
            detail: Short context without patient text (filters, counts, outcome codes).
        """
        at = self._clock()
        actor = clean_text(actor, MAX_ACTOR).strip() or "anonymous"
        action = clean_text(action, MAX_ACTION).strip()
        target = clean_text(target, MAX_TARGET).strip() or None
        detail = clean_text(detail, MAX_DETAIL).strip() or None
        if not action:
            raise ValueError("an audit entry needs an action")
        values = {"at": at, "actor": actor, "action": action, "target": target, "detail": detail}
        with self.engine.begin() as connection:
            entry_id = connection.execute(audit_table.insert().values(**values)).inserted_primary_key[0]
        return AuditEntry(entry_id, at, actor, action, target, detail)

    def entries(self, limit: int = 200, before: Optional[int] = None) -> List[AuditEntry]:
        """The newest entries first.

        Args:
            limit: At most this many entries (1-1000).
            before: Only entries with a smaller id (the next page).
        """
        query = sa.select(audit_table).order_by(audit_table.c.id.desc()).limit(max(1, min(int(limit), 1000)))
        if before is not None:
            query = query.where(audit_table.c.id < int(before))
        with self.engine.connect() as connection:
            return [
                AuditEntry(row.id, row.at, row.actor, row.action, row.target, row.detail)
                for row in connection.execute(query)
            ]
