"""What staff read: one case, its history, the queue (keyset-paged) and its counts."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meso.cases.model import (
    CaseEvent,
    Escalation,
    EscalationNotFound,
    QueueKey,
    escalation_from_row,
    event_from_row,
)
from meso.cases.transactions import StoreBase
from meso.contract import (
    ACTIVE_STATUSES,
    REASONS,
    STATUSES,
    URGENCIES,
    URGENCY_RANK,
)
from meso.store.tables import escalations_table, events_table


class QueueQueries(StoreBase):
    """What staff read: one case, its history, the queue (keyset-paged) and its counts."""

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
        return self.run_in_transaction(lambda connection: [event_from_row(row) for row in connection.execute(query)])

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
            lambda connection: [escalation_from_row(row) for row in connection.execute(query)]
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
