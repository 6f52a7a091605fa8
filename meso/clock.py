"""Time in UTC: the aware clock every store injects, and the column type that keeps it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def naive_utcnow() -> datetime:
    """The current time as naive UTC, for the tables that keep plain `DateTime` columns."""
    return utcnow().replace(tzinfo=None)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC (portable across SQLite and PostgreSQL), reads aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else value.replace(tzinfo=timezone.utc)
