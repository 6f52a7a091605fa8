"""Server-side staff sessions: a random id per sign-in, idle and absolute expiry.

The browser holds the random session id (signed, in an HttpOnly cookie); the database
holds only its SHA-256, the user, a CSRF token, whether the second factor was given, and
two timestamps. Signing out or expiring deletes the row, so a copied cookie is worthless
afterwards. A session that has only seen the password (`verified` false) reaches nothing
but the second-factor pages and ends after 10 minutes; the second factor replaces it with
a new, verified session (a new id).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from meso.accounts.audit import shared_engine
from meso.accounts.users import StaffUser
from meso.clock import utcnow
from meso.store.tables import sessions_table, users_table

PENDING_MAX_AGE = timedelta(minutes=10)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StaffSession:
    """A live session: who, the CSRF token its forms must carry, and whether the second
    factor was given (only verified sessions reach patient data)."""

    session_id: str
    user: StaffUser
    csrf_token: str
    created_at: datetime
    verified: bool = False


class SessionStore:
    """Starts, resumes and ends staff sessions.

    Args:
        url: SQLAlchemy URL of the escalation database.
        idle: A session unused for longer than this ends.
        max_age: A session older than this ends, however busy.
        clock: Returns the current aware UTC time; tests pass their own.
    """

    def __init__(
        self,
        url: str,
        idle: timedelta = timedelta(minutes=30),
        max_age: timedelta = timedelta(hours=12),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.url = url
        self.idle = idle
        self.max_age = max_age
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    def start(self, user: StaffUser, verified: bool = False) -> StaffSession:
        """A brand-new session (new random id and CSRF token) for `user`.

        Args:
            user: The account that gave its password.
            verified: True once the second factor was given as well.
        """
        now = self._clock()
        session_id = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            # Housekeeping: drop sessions that can no longer be resumed.
            connection.execute(
                sessions_table.delete().where(
                    sa.or_(
                        sessions_table.c.last_seen_at < now - self.idle,
                        sessions_table.c.created_at < now - self.max_age,
                        sa.and_(
                            sessions_table.c.verified.is_(False),
                            sessions_table.c.created_at < now - PENDING_MAX_AGE,
                        ),
                    )
                )
            )
            connection.execute(
                sessions_table.insert().values(
                    id_hash=_digest(session_id),
                    user_id=user.id,
                    csrf_token=csrf_token,
                    created_at=now,
                    last_seen_at=now,
                    verified=verified,
                )
            )
        return StaffSession(session_id, user, csrf_token, now, verified)

    def resume(self, session_id: str) -> Optional[StaffSession]:
        """The live session with this id, marked as used now; None when unknown or expired.

        An expired session, or one whose account was disabled, is deleted.
        """
        if not session_id:
            return None
        now = self._clock()
        key = _digest(session_id)
        s, u = sessions_table.c, users_table.c
        query = (
            sa.select(
                s.user_id,
                s.csrf_token,
                s.created_at,
                s.last_seen_at,
                s.verified,
                u.username,
                u.role,
                u.disabled,
                u.created_at.label("user_created_at"),
            )
            .join_from(sessions_table, users_table, u.id == s.user_id)
            .where(s.id_hash == key)
        )
        with self.engine.begin() as connection:
            row = connection.execute(query).first()
            if row is None:
                return None
            age = now - row.created_at
            expired = (
                now - row.last_seen_at > self.idle
                or age > self.max_age
                or (not row.verified and age > PENDING_MAX_AGE)
            )
            if expired or row.disabled:
                connection.execute(sessions_table.delete().where(sessions_table.c.id_hash == key))
                return None
            connection.execute(
                sessions_table.update().where(sessions_table.c.id_hash == key).values(last_seen_at=now)
            )
        user = StaffUser(row.user_id, row.username, row.role, row.user_created_at, False)
        return StaffSession(session_id, user, row.csrf_token, row.created_at, bool(row.verified))

    def end(self, session_id: str) -> None:
        """Deletes the session server-side (sign-out); unknown ids are ignored."""
        if session_id:
            with self.engine.begin() as connection:
                connection.execute(
                    sessions_table.delete().where(sessions_table.c.id_hash == _digest(session_id))
                )

    def end_all(self, user_id: int) -> int:
        """Deletes every session of one account (password change, disabling); returns how many."""
        with self.engine.begin() as connection:
            deleted = connection.execute(sessions_table.delete().where(sessions_table.c.user_id == user_id))
            return int(deleted.rowcount)
