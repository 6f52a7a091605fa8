"""Signed widget session ids: the server issues them, clients can only return them.

A session id is `<random token>.<HMAC-SHA256 of the token>`. The widget stores it and
sends it back after a page reload; a session id the server did not sign (forged or
guessed, e.g. to read or write someone else's conversation) is replaced by a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from typing import Optional

logger = logging.getLogger(__name__)

_CONTEXT = b"meso widget session v1"
TOKEN_BYTES = 16
SIGNATURE_HEX = 32


class SessionSigner:
    """Issues and checks widget session ids with a secret key.

    Args:
        secret: WIDGET_SESSION_SECRET (or STAFF_SESSION_SECRET). Empty: a random key
            for this process only, so sessions do not survive a restart.
    """

    def __init__(self, secret: Optional[str]) -> None:
        if not secret:
            logger.warning(
                "No WIDGET_SESSION_SECRET or STAFF_SESSION_SECRET: widget sessions end when the server restarts."
            )
            secret = secrets.token_urlsafe(32)
        # A key of its own, so the staff secret never signs anything else directly.
        self._key = hmac.new(secret.encode("utf-8"), _CONTEXT, hashlib.sha256).digest()

    def _sign(self, token: str) -> str:
        return hmac.new(self._key, token.encode("ascii"), hashlib.sha256).hexdigest()[:SIGNATURE_HEX]

    def issue(self) -> str:
        """A new signed session id."""
        token = secrets.token_hex(TOKEN_BYTES)
        return f"{token}.{self._sign(token)}"

    def verify(self, session_id: object) -> bool:
        """Whether `session_id` is one this signer issued."""
        if not isinstance(session_id, str) or session_id.count(".") != 1 or len(session_id) > 100:
            return False
        token, signature = session_id.split(".")
        if len(token) != 2 * TOKEN_BYTES or not token.isascii() or not token.isalnum():
            return False
        return hmac.compare_digest(self._sign(token), signature)
