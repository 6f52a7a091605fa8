"""Retention: cases with no activity since a cutoff are deleted with their history and alerts."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from meso.cases.transactions import StoreBase
from meso.store.tables import escalations_table, events_table, outbox_table

logger = logging.getLogger(__name__)


class Retention(StoreBase):
    """Retention: cases with no activity since a cutoff are deleted with their history and alerts."""

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
