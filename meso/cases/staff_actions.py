"""What staff do to a case: claim it, add a note, resolve it."""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meso.cases.model import (
    MAX_NOTE,
    CaseEvent,
    Escalation,
    EscalationNotFound,
    InvalidTransition,
    clean_actor,
)
from meso.cases.transactions import StoreBase
from meso.contract import (
    ACTIVE_STATUSES,
    CLAIMED,
    RESOLVED,
    STATUSES,
)
from meso.store.tables import escalations_table
from meso.text import clean_text

logger = logging.getLogger(__name__)


class StaffActions(StoreBase):
    """What staff do to a case: claim it, add a note, resolve it."""

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
        actor = clean_actor(actor)
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
        return self._change(case_id, clean_actor(actor), "note", note, STATUSES, {})[1]

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
            clean_actor(actor),
            "resolved",
            outcome,
            ACTIVE_STATUSES,
            {"status": RESOLVED, "resolved_outcome": outcome},
        )[0]
