"""How many questions the assistant answered or declined, per day, topic, channel and language.

The answer action adds one to a counter for each question (in memory, written every
two seconds: `BufferedCounts`); the dashboard reads the counters. No text, no conversation id: counts only (kept without a retention limit).
The schema lives in Alembic revision 0006.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from meso.store import db
from meso.store.tables import counts_table
from meso.text import clean_text

logger = logging.getLogger(__name__)

ANSWERED, DECLINED = "answered", "declined"
OUTCOMES = (ANSWERED, DECLINED)




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
                with db.engine(self.url).begin() as connection:
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
        with db.engine(self.url).connect() as connection:
            return [
                AnswerCount(row.day, row.topic, row.outcome, row.channel, row.language, row.count)
                for row in connection.execute(query)
            ]


class BufferedCounts:
    """Counters added up in memory and written every `interval` seconds, so a turn
    costs no database write (the dashboard is at most that far behind).

    The writer is a daemon thread started on first use; `flush` writes what is
    pending (also called at interpreter exit). Counts that cannot be written stay
    pending for the next flush.
    """

    def __init__(self, counts: AnswerCounts, interval: float = 2.0) -> None:
        self.counts = counts
        self.interval = interval
        self._pending: Dict[Tuple[str, str, str, str, date], int] = {}
        self._lock = threading.Lock()
        self._writer: Optional[threading.Thread] = None

    def add(self, outcome: str, topic: str = "", channel: str = "unknown", language: str = "en", n: int = 1) -> None:
        """Adds `n` to one counter (in memory)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        key = (outcome, topic, channel, language, self.counts._clock())
        with self._lock:
            self._pending[key] = self._pending.get(key, 0) + n
            if self._writer is None:
                self._writer = threading.Thread(target=self._run, name="answer-counts", daemon=True)
                self._writer.start()
                atexit.register(self.flush)

    def flush(self) -> int:
        """Writes every pending counter; returns how many counters were written."""
        with self._lock:
            pending, self._pending = self._pending, {}
        written = 0
        for (outcome, topic, channel, language, day), n in pending.items():
            try:
                stored = self.counts.add(outcome, topic, channel, language, n, day=day)
            except Exception as error:  # noqa: BLE001 - the writer thread must outlive a bad database
                logger.warning("Could not write answer counts (%s)", type(error).__name__)
                stored = False
            if stored:
                written += 1
            else:
                with self._lock:
                    key = (outcome, topic, channel, language, day)
                    self._pending[key] = self._pending.get(key, 0) + n
        return written

    def pending(self) -> int:
        """How many counts wait to be written."""
        with self._lock:
            return sum(self._pending.values())

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()
