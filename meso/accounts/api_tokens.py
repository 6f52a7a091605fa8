"""Per-integration API tokens: named, scoped, expiring, revocable, stored hashed.

A token is 32 random bytes (URL-safe text with a recognisable prefix), shown once when
created. The database keeps only its SHA-256: a random 256-bit secret needs no slow hash,
and a lookup by digest needs no scan. Revoked and expired tokens stay listed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, FrozenSet, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import IntegrityError

from meso.accounts.audit import shared_engine
from meso.clock import utcnow
from meso.store.tables import tokens_table

TOKEN_PREFIX = "meso_"  # noqa: S105 - a public marker, not a secret
# escalations:read lists cases and reads their history; transcripts:read adds the whole
# conversation of one case (GET /api/escalations/{id} needs both).
# unanswered:read lists the declined questions in groups (patient wording); facts:read the
# published facts.
SCOPES = ("escalations:read", "transcripts:read", "unanswered:read", "facts:read")
DEFAULT_DAYS = 90
MAX_DAYS = 366
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

class TokenExists(ValueError):
    """A token with this name exists (revoked ones too: names stay unique in the audit log)."""


class UnknownToken(LookupError):
    """No token has this name."""


@dataclass(frozen=True)
class ApiToken:
    """A token's record, without the secret."""

    name: str
    scopes: FrozenSet[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: Optional[datetime]
    last_used_at: Optional[datetime]

    def state(self, now: datetime) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


def digest(token: str) -> str:
    """The SHA-256 (hex) stored for a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    """The normalized name; ValueError unless 2-64 of a-z, 0-9, '.', '_', '-'."""
    normalized = (name or "").strip().lower()
    if not _NAME.match(normalized):
        raise ValueError("token names have 2-64 characters (a-z, 0-9, '.', '_', '-')")
    return normalized


def check_scopes(scopes: Iterable[str]) -> FrozenSet[str]:
    """The scopes as a set; ValueError when empty or unknown."""
    given = frozenset(scopes)
    unknown = sorted(given - set(SCOPES))
    if unknown or not given:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)} (got {', '.join(unknown) or 'none'})")
    return given


def _token(row: Row) -> ApiToken:
    return ApiToken(
        row.name,
        frozenset(row.scopes.split()),
        row.created_at,
        row.expires_at,
        row.revoked_at,
        row.last_used_at,
    )


class ApiTokenStore:
    """Creates, lists, revokes and authenticates API tokens.

    Args:
        url: SQLAlchemy URL of the escalation database.
        clock: Returns the current aware UTC time; tests pass their own.
    """

    def __init__(self, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.url = url
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    def create(self, name: str, scopes: Iterable[str], days: int = DEFAULT_DAYS) -> Tuple[ApiToken, str]:
        """A new token and its secret (the only time the secret exists outside the caller).

        Raises:
            ValueError: Bad name, scopes or lifetime.
            TokenExists: The name is taken.
        """
        name = check_name(name)
        granted = check_scopes(scopes)
        if not 1 <= int(days) <= MAX_DAYS:
            raise ValueError(f"tokens expire after 1 to {MAX_DAYS} days")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + timedelta(days=int(days))
        values = {
            "name": name,
            "token_hash": digest(secret),
            "scopes": " ".join(sorted(granted)),
            "created_at": now,
            "expires_at": expires_at,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(tokens_table.insert().values(**values))
        except IntegrityError as exc:
            raise TokenExists(name) from exc
        return ApiToken(name, granted, now, expires_at, None, None), secret

    def list(self) -> List[ApiToken]:
        """Every token, by name."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(tokens_table).order_by(tokens_table.c.name))
            return [_token(row) for row in rows]

    def revoke(self, name: str) -> ApiToken:
        """Revokes a token at once (a revoked token is never accepted again).

        Raises:
            UnknownToken: No token has this name.
        """
        table = tokens_table
        key = (name or "").strip().lower()
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.name == key, table.c.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            row = connection.execute(sa.select(table).where(table.c.name == key)).first()
        if row is None:
            raise UnknownToken(name)
        return _token(row)

    def authenticate(self, secret: str) -> Optional[ApiToken]:
        """The active token with this secret, marked as used now; None otherwise."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        now = self._clock()
        table = tokens_table
        live = (
            table.c.token_hash == digest(secret),
            table.c.revoked_at.is_(None),
            table.c.expires_at > now,
        )
        with self.engine.begin() as connection:
            used = connection.execute(table.update().where(*live).values(last_used_at=now)).rowcount
            if used != 1:
                return None
            row = connection.execute(sa.select(table).where(table.c.token_hash == digest(secret))).first()
        return None if row is None else _token(row)
