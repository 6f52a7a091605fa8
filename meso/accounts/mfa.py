"""The staff second factor: TOTP (RFC 6238) keys, replay protection and recovery codes.

pyotp computes the codes; it keeps no state, so replay protection is here: each account
stores the newest RFC 6238 time step it accepted, and a code is accepted only by an
UPDATE that moves that step forward (`last_step < step`). Two requests racing with the
same code both run the conditional UPDATE; the database lets exactly one of them change
the row, so the other is a replay (OWASP ASVS 4.0.3 2.8.4).

Recovery codes are random, shown once, stored as argon2id hashes and spent by an UPDATE
that only succeeds while the code is unused.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Callable, List, Optional

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from meso.accounts.audit import shared_engine
from meso.clock import utcnow
from meso.store.tables import recovery_table, totp_table

TOTP_DIGITS = 6
TOTP_INTERVAL_S = 30
# Codes of the previous and the next time step are accepted too (clock drift, typing time).
TOTP_WINDOW = 1
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
RECOVERY_LENGTH = 10  # about 49 bits each
_CODE = re.compile(r"^[0-9]{6}$")


class CodeCheck(str, Enum):
    """The verdict on a submitted TOTP code."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    REPLAYED = "replayed"  # right code, but its time step was already used
    NOT_ENROLLED = "not_enrolled"


class AlreadyEnrolled(ValueError):
    """The account has a confirmed second factor; an admin must reset it first."""


@dataclass(frozen=True)
class Enrolment:
    """A key waiting for its first code: what the enrolment page shows."""

    secret: str

    def uri(self, account: str, issuer: str) -> str:
        """The otpauth:// URI authenticator apps read from the QR code."""
        return pyotp.TOTP(self.secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_S).provisioning_uri(
            name=account, issuer_name=issuer
        )

    @property
    def grouped(self) -> str:
        """The key in groups of four, for typing it in by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))


def normalize_code(code: Optional[str]) -> str:
    """A code as typed, without spaces or dashes, lower-case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def new_recovery_code() -> str:
    """A random recovery code such as "k7m2p-xq9rt"."""
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


class SecondFactorStore:
    """Enrols, checks and resets staff TOTP keys and recovery codes.

    Args:
        url: SQLAlchemy URL of the escalation database (beside the accounts).
        clock: Returns the current aware UTC time; codes are computed for it.
        hasher: argon2 hasher for recovery codes; argon2-cffi's defaults unless given.
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

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    @staticmethod
    def _totp(secret: str) -> pyotp.TOTP:
        return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL_S)

    def _matching_step(self, secret: str, code: str) -> Optional[int]:
        """The newest time step in the window whose code is `code`, or None."""
        code = normalize_code(code)
        if not _CODE.match(code):
            return None
        totp = self._totp(secret)
        now = totp.timecode(self._clock())
        matched = None
        for step in range(now - TOTP_WINDOW, now + TOTP_WINDOW + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                matched = step
        return matched

    def is_enrolled(self, user_id: int) -> bool:
        """True when the account has a confirmed key."""
        with self.engine.connect() as connection:
            confirmed = connection.execute(
                sa.select(totp_table.c.confirmed_at).where(totp_table.c.user_id == user_id)
            ).first()
        return confirmed is not None and confirmed.confirmed_at is not None

    def begin_enrolment(self, user_id: int) -> Enrolment:
        """The pending key of this account, created on first call (the same on reloads).

        Raises:
            AlreadyEnrolled: The account has a confirmed key.
        """
        table = totp_table
        for _ in range(2):  # a concurrent first call may insert first; then read its key
            with self.engine.begin() as connection:
                row = connection.execute(sa.select(table).where(table.c.user_id == user_id)).first()
                if row is not None:
                    if row.confirmed_at is not None:
                        raise AlreadyEnrolled(str(user_id))
                    return Enrolment(row.secret)
                secret = pyotp.random_base32()  # 32 characters, 160 bits (RFC 4226 section 4)
                try:
                    connection.execute(
                        table.insert().values(user_id=user_id, secret=secret, created_at=self._clock())
                    )
                except IntegrityError:
                    continue
                return Enrolment(secret)
        raise AlreadyEnrolled(str(user_id))

    def confirm_enrolment(self, user_id: int, secret: str, code: str) -> Optional[List[str]]:
        """Confirms the pending key `secret` with its first code.

        Returns:
            The new recovery codes (to show once), or None when the code is wrong or the
            key is no longer the pending one (reset, or confirmed by a concurrent request).
        """
        step = self._matching_step(secret, code)
        if step is None:
            return None
        now = self._clock()
        codes = [new_recovery_code() for _ in range(RECOVERY_CODES)]
        table = totp_table
        with self.engine.begin() as connection:
            confirmed = connection.execute(
                table.update()
                .where(table.c.user_id == user_id, table.c.secret == secret, table.c.confirmed_at.is_(None))
                .values(confirmed_at=now, last_step=step)
            ).rowcount
            if confirmed != 1:
                return None
            self._replace_recovery_codes(connection, user_id, codes, now)
        return codes

    def _replace_recovery_codes(
        self, connection: Connection, user_id: int, codes: List[str], now: datetime
    ) -> None:
        connection.execute(recovery_table.delete().where(recovery_table.c.user_id == user_id))
        connection.execute(
            recovery_table.insert(),
            [
                {"user_id": user_id, "code_hash": self._hasher.hash(normalize_code(code)), "created_at": now}
                for code in codes
            ],
        )

    def verify(self, user_id: int, code: str) -> CodeCheck:
        """Checks a TOTP code and, when right, records its time step in the same statement."""
        table = totp_table
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.secret, table.c.confirmed_at).where(table.c.user_id == user_id)
            ).first()
        if row is None or row.confirmed_at is None:
            return CodeCheck.NOT_ENROLLED
        step = self._matching_step(row.secret, code)
        if step is None:
            return CodeCheck.WRONG
        with self.engine.begin() as connection:
            moved = connection.execute(
                table.update()
                .where(
                    table.c.user_id == user_id,
                    table.c.secret == row.secret,
                    table.c.confirmed_at.is_not(None),
                    sa.or_(table.c.last_step.is_(None), table.c.last_step < step),
                )
                .values(last_step=step)
            ).rowcount
        return CodeCheck.ACCEPTED if moved == 1 else CodeCheck.REPLAYED

    def use_recovery_code(self, user_id: int, code: str) -> Optional[int]:
        """Spends one unused recovery code; returns how many are left, or None when no code matches."""
        given = normalize_code(code)
        if len(given) != RECOVERY_LENGTH or not self.is_enrolled(user_id):
            return None
        table = recovery_table
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.id, table.c.code_hash).where(
                    table.c.user_id == user_id, table.c.used_at.is_(None)
                )
            ).all()
        for row in rows:
            try:
                self._hasher.verify(row.code_hash, given)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                continue
            with self.engine.begin() as connection:
                spent = connection.execute(
                    table.update()
                    .where(table.c.id == row.id, table.c.used_at.is_(None))
                    .values(used_at=self._clock())
                ).rowcount
            return self.recovery_codes_left(user_id) if spent == 1 else None
        return None

    def recovery_codes_left(self, user_id: int) -> int:
        """How many recovery codes the account has not used."""
        table = recovery_table
        query = sa.select(sa.func.count()).where(table.c.user_id == user_id, table.c.used_at.is_(None))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def reset(self, user_id: int) -> bool:
        """Deletes the key and the recovery codes (the next sign-in enrols again); True if there was a key."""
        with self.engine.begin() as connection:
            connection.execute(recovery_table.delete().where(recovery_table.c.user_id == user_id))
            deleted = connection.execute(totp_table.delete().where(totp_table.c.user_id == user_id)).rowcount
        return bool(deleted)
