"""How many questions the assistant answered or declined, per day, topic, channel and language.

The answer action adds one to a counter for each question; the dashboard reads the
counters. No text, no conversation id: counts only (kept without a retention limit).
The schema lives in Alembic revision 0006.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from meso.db import EngineCache, metadata
from meso.text import clean_text

logger = logging.getLogger(__name__)

ANSWERED, DECLINED = "answered", "declined"
OUTCOMES = (ANSWERED, DECLINED)

counts_table = sa.Table(
    "answer_counts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("topic", sa.String(32), primary_key=True),
    sa.Column("outcome", sa.String(16), primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("language", sa.String(8), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

_ENGINES = EngineCache(migrated=True)


def today() -> date:
    """The current UTC day."""
    return datetime.now(timezone.utc).date()


@dataclass(frozen=True)
class AnswerCount:
    """One counter."""

    day: date
    topic: str
    outcome: str
    channel: str
    language: str
    count: int


class AnswerCounts:
    """The counters in the escalation database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, clock: Callable[[], date] = today) -> None:
        self.url = url
        self._clock = clock

    def add(self, outcome: str, topic: str = "", channel: str = "unknown", language: str = "en", n: int = 1,
            day: Optional[date] = None) -> bool:
        """Adds `n` to one counter; False (and a warning) when the database cannot take it."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        key = {
            "day": day or self._clock(),
            "topic": clean_text(topic, 32),
            "outcome": outcome,
            "channel": clean_text(channel, 32) or "unknown",
            "language": clean_text(language, 8) or "en",
        }
        where = sa.and_(*(counts_table.c[name] == value for name, value in key.items()))
        try:
            for _ in range(3):  # a concurrent first insert of the same counter: update it instead
                with _ENGINES.get(self.url).begin() as connection:
                    updated = connection.execute(
                        counts_table.update().where(where).values(count=counts_table.c.count + n)
                    ).rowcount
                    if updated:
                        return True
                    try:
                        with connection.begin_nested():
                            connection.execute(counts_table.insert().values(**key, count=n))
                        return True
                    except IntegrityError:
                        continue
        except SQLAlchemyError as error:
            logger.warning("Could not count an answer (%s)", type(error).__name__)
        return False

    def since(self, first_day: date) -> List[AnswerCount]:
        """Every counter from `first_day` on, oldest day first."""
        query = sa.select(counts_table).where(counts_table.c.day >= first_day).order_by(counts_table.c.day)
        with _ENGINES.get(self.url).connect() as connection:
            return [
                AnswerCount(row.day, row.topic, row.outcome, row.channel, row.language, row.count)
                for row in connection.execute(query)
            ]
