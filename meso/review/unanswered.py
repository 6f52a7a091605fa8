"""Questions the assistant declined, kept for the staff's unanswered report.

Each row is the cleaned question, the conversation, channel and language, when it
was asked, and what the answer index found closest (a known-unknown's id, or the
nearest entry and its score). Rows are health information like transcripts: they
are kept for the same retention period, read only by staff, and never logged.
The schema lives in Alembic revision 0004; it is migrated on first use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, List, Optional

from sqlalchemy.exc import SQLAlchemyError

from meso.clock import naive_utcnow
from meso.store import db
from meso.store.tables import unanswered_table
from meso.text import clean_text

logger = logging.getLogger(__name__)

MAX_TEXT = 1000
MAX_ID = 255





@dataclass(frozen=True)
class UnansweredQuestion:
    """One declined question."""

    conversation_id: str
    channel: str
    text: str
    asked_at: datetime
    language: str = "en"
    not_covered_id: Optional[str] = None
    closest: Optional[str] = None
    confidence: float = 0.0


class UnansweredStore:
    """The declined questions in the escalation database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, clock: Callable[[], datetime] = naive_utcnow) -> None:
        self.url = url
        self._clock = clock

    def record(
        self,
        conversation_id: str,
        channel: str,
        text: str,
        language: str = "en",
        not_covered_id: Optional[str] = None,
        closest: Optional[str] = None,
        confidence: float = 0.0,
    ) -> bool:
        """Stores one declined question; False (and a warning without the text) when
        the database cannot take it: the report is best effort, the patient's reply is not."""
        values = {
            "conversation_id": clean_text(conversation_id, MAX_ID) or "unknown",
            "channel": clean_text(channel, 32) or "unknown",
            "language": clean_text(language, 8) or "en",
            "text": clean_text(text, MAX_TEXT).strip(),
            "not_covered_id": not_covered_id,
            "closest": closest,
            "confidence": float(confidence),
            "asked_at": self._clock(),
        }
        try:
            with db.engine(self.url).begin() as connection:
                connection.execute(unanswered_table.insert().values(**values))
        except SQLAlchemyError as error:
            logger.warning("Could not record an unanswered question (%s)", type(error).__name__)
            return False
        return True

    def recent(self, limit: int = 100) -> List[UnansweredQuestion]:
        """The newest declined questions first."""
        query = unanswered_table.select().order_by(unanswered_table.c.id.desc()).limit(limit)
        with db.engine(self.url).connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            UnansweredQuestion(
                conversation_id=row["conversation_id"],
                channel=row["channel"],
                text=row["text"],
                asked_at=row["asked_at"],
                language=row["language"],
                not_covered_id=row["not_covered_id"],
                closest=row["closest"],
                confidence=row["confidence"],
            )
            for row in rows
        ]

    def delete_older_than(self, cutoff: datetime) -> int:
        """Retention: deletes questions asked before `cutoff` (naive or aware UTC)."""
        if cutoff.tzinfo is not None:
            cutoff = cutoff.astimezone(timezone.utc).replace(tzinfo=None)
        with db.engine(self.url).begin() as connection:
            result = connection.execute(unanswered_table.delete().where(unanswered_table.c.asked_at < cutoff))
        return int(result.rowcount or 0)
