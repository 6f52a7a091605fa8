"""The facts book the assistant answers from: the newest published book in the database.

Every replica reads the same `published_books` table (SQLite on the embedded default,
PostgreSQL on the scale-out profile), so a clinician's approval is live everywhere at
the next check: at most every `check_interval` seconds one `SELECT max(seq)` query, and
the book itself only when that number changed. While the database is down the last
book read goes on being served; before any book was published (a new install whose
console has not run yet) the facts file is served, as before.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Callable, Optional

import sqlalchemy as sa

from meso.accounts.audit import shared_engine
from meso.content.facts import CHECK_INTERVAL_SECONDS, FactBook, FactsError, FactsStore, parse_book
from meso.store.tables import books_table

logger = logging.getLogger(__name__)


class PublishedFacts:
    """Serves the newest published book, checked cheaply.

    Args:
        url: SQLAlchemy URL of the escalation database.
        fallback: The facts file's store, used until a book is published.
        check_interval: Seconds between two looks at the database.
        clock: Monotonic seconds; tests pass their own.
    """

    def __init__(
        self,
        url: str,
        fallback: FactsStore,
        check_interval: float = CHECK_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.fallback = fallback
        self.check_interval = check_interval
        self._clock = clock
        self._checked_at = float("-inf")
        self._book: Optional[FactBook] = None
        self.seq: Optional[int] = None
        self._down = False

    def current(self) -> FactBook:
        """The book to answer from now.

        Raises:
            FactsError: Nothing was ever published or read, and the facts file is invalid.
        """
        now = self._clock()
        if now - self._checked_at < self.check_interval:
            return self._book or self.fallback.current()
        self._checked_at = now
        try:
            with shared_engine(self.url).connect() as connection:
                seq = connection.execute(sa.select(sa.func.max(books_table.c.seq))).scalar()
                if seq is not None and seq != self.seq:
                    body = connection.execute(sa.select(books_table.c.body).where(books_table.c.seq == seq)).scalar()
                    self._load(int(seq), str(body))
        except Exception as error:  # noqa: BLE001 - any database trouble: keep answering
            if not self._down:
                logger.warning("Facts database unavailable (%s): serving the last book read", type(error).__name__)
            self._down = True
            return self._book or self.fallback.current()
        if self._down:
            logger.info("Facts database available again")
        self._down = False
        return self._book or self.fallback.current()

    def _load(self, seq: int, body: str) -> None:
        try:
            book = parse_book(json.loads(body), f"published book {seq}")
        except (FactsError, ValueError) as error:  # validated on approval: only a hand edit gets here
            logger.error("Published book %d is invalid; still serving the previous one:\n%s", seq, error)
            self.seq = seq
            return
        if self.seq is not None:
            logger.info("Published book %d is live: %d facts", seq, len(book.facts))
        self._book, self.seq = book, seq
