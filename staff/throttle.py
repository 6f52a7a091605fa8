"""Sign-in throttling: too many failures per username or per client IP in a window.

Failures are rows in the database (table `login_attempts`), so the limit holds across
restarts and across several console replicas. A successful sign-in clears the failures
of its username (not of its IP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from meso.accounts.audit import shared_engine
from meso.accounts.users import normalize_username
from meso.clock import utcnow
from meso.store.tables import attempts_table


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are allowed within `window`."""

    window: timedelta = timedelta(minutes=15)
    per_username: int = 5
    per_ip: int = 20


class LoginThrottle:
    """Counts failed sign-ins and says when to refuse further attempts.

    Args:
        url: SQLAlchemy URL of the escalation database.
        policy: Limits and window.
        clock: Returns the current aware UTC time; tests pass their own.
    """

    def __init__(
        self, url: str, policy: ThrottlePolicy = ThrottlePolicy(), clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.url = url
        self.policy = policy
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    @staticmethod
    def _key(username: str) -> str:
        return normalize_username(username)[:64]

    def blocked(self, username: str, ip: str) -> bool:
        """True when the username or the IP has used up its failures in the window."""
        since = self._clock() - self.policy.window
        table = attempts_table
        count = sa.select(sa.func.count()).select_from(table).where(table.c.at >= since)
        with self.engine.connect() as connection:
            by_user = connection.execute(count.where(table.c.username == self._key(username))).scalar_one()
            by_ip = connection.execute(count.where(table.c.ip == ip[:64])).scalar_one()
        return by_user >= self.policy.per_username or by_ip >= self.policy.per_ip

    def failed(self, username: str, ip: str) -> None:
        """Records one failed sign-in."""
        with self.engine.begin() as connection:
            connection.execute(
                attempts_table.insert().values(at=self._clock(), username=self._key(username), ip=ip[:64])
            )

    def succeeded(self, username: str) -> None:
        """Clears the username's failures and forgets failures older than the window."""
        table = attempts_table
        with self.engine.begin() as connection:
            connection.execute(table.delete().where(table.c.username == self._key(username)))
            connection.execute(table.delete().where(table.c.at < self._clock() - self.policy.window))
