"""Staff accounts: usernames, roles and argon2id password hashes.

Passwords are hashed with argon2-cffi's PasswordHasher (argon2id, its RFC 9106 low-memory
profile). Checking a password takes the same hashing work whether or not the user exists,
so response time does not reveal which usernames are valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, List, Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine, Row
from sqlalchemy.exc import IntegrityError

from meso.accounts.audit import shared_engine
from meso.clock import utcnow
from meso.store.tables import users_table

# staff draft facts, clinicians also review them (approve or send back), admins do both and more.
ROLES = ("staff", "clinician", "admin")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

class UserExists(ValueError):
    """The username is taken."""


class UnknownUser(LookupError):
    """No account has this username."""


@dataclass(frozen=True)
class StaffUser:
    """A staff account, without its password hash."""

    id: int
    username: str
    role: str
    created_at: datetime
    disabled: bool

    @property
    def is_admin(self) -> bool:
        """True for the admin role."""
        return self.role == "admin"

    @property
    def can_review(self) -> bool:
        """True for clinicians and admins: they approve or send back fact versions."""
        return self.role in ("clinician", "admin")


def normalize_username(username: str) -> str:
    """The canonical (stripped, lower-case) form usernames are stored and compared in."""
    return (username or "").strip().lower()


def check_username(username: str) -> str:
    """The normalized username; ValueError unless 2-64 of a-z, 0-9, '.', '_', '-'."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise ValueError(
            "usernames have 2-64 characters (a-z, 0-9, '.', '_', '-'), starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """The password unchanged; ValueError when shorter than 12 characters or absurdly long."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"passwords have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _user(row: Row) -> StaffUser:
    return StaffUser(row.id, row.username, row.role, row.created_at, bool(row.disabled))


class StaffUserStore:
    """Creates, looks up and authenticates staff accounts.

    Args:
        url: SQLAlchemy URL of the escalation database (accounts live beside the cases).
        clock: Returns the current aware UTC time.
        hasher: The argon2 hasher; the library's defaults (argon2id) unless given.
    """

    def __init__(
        self,
        url: str,
        clock: Callable[[], datetime] = utcnow,
        hasher: Optional[PasswordHasher] = None,
    ) -> None:
        self.url = url
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy: Optional[str] = None

    @property
    def _dummy_hash(self) -> str:
        """A hash with this hasher's parameters, verified when the user does not exist."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a real password, only burns time")
        return self._dummy

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    def create(self, username: str, password: str, role: str = "staff") -> StaffUser:
        """Creates an account.

        Raises:
            ValueError: Bad username, password or role.
            UserExists: The username is taken.
        """
        name = check_username(username)
        check_password(password)
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        created_at = self._clock()
        values = {
            "username": name,
            "password_hash": self._hasher.hash(password),
            "role": role,
            "created_at": created_at,
            "disabled": False,
        }
        try:
            with self.engine.begin() as connection:
                user_id = connection.execute(users_table.insert().values(**values)).inserted_primary_key[0]
        except IntegrityError as exc:
            raise UserExists(name) from exc
        return StaffUser(user_id, name, role, created_at, False)

    def get(self, username: str) -> Optional[StaffUser]:
        """The account with this username, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(users_table).where(users_table.c.username == normalize_username(username))
            ).first()
        return None if row is None else _user(row)

    def get_by_id(self, user_id: int) -> Optional[StaffUser]:
        """The account with this id, or None."""
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users_table).where(users_table.c.id == user_id)).first()
        return None if row is None else _user(row)

    def list(self) -> List[StaffUser]:
        """Every account, by username."""
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(users_table).order_by(users_table.c.username))
            return [_user(row) for row in rows]

    def authenticate(self, username: str, password: str) -> Optional[StaffUser]:
        """The enabled account when the password matches, else None, in about the same time.

        A hash made with older parameters is upgraded on a successful check.
        """
        name = normalize_username(username)
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(users_table).where(users_table.c.username == name)).first()
        password = password or ""
        stored = row.password_hash if row is not None else self._dummy_hash
        if len(password) > MAX_PASSWORD_LENGTH:
            row, stored, password = None, self._dummy_hash, password[:MAX_PASSWORD_LENGTH]
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        if self._hasher.check_needs_rehash(stored):
            self._store_hash(row.id, self._hasher.hash(password))
        return _user(row)

    def set_password(self, username: str, password: str) -> None:
        """Replaces the password.

        Raises:
            ValueError: The password is too short.
            UnknownUser: No such account.
        """
        check_password(password)
        user = self.get(username)
        if user is None:
            raise UnknownUser(username)
        self._store_hash(user.id, self._hasher.hash(password))

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disables (signs out for good) or re-enables an account.

        Raises:
            UnknownUser: No such account.
        """
        with self.engine.begin() as connection:
            changed = connection.execute(
                users_table.update()
                .where(users_table.c.username == normalize_username(username))
                .values(disabled=disabled)
            ).rowcount
        if not changed:
            raise UnknownUser(username)

    def _store_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                users_table.update().where(users_table.c.id == user_id).values(password_hash=password_hash)
            )
