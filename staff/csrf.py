"""CSRF protection: synchronizer tokens bound to the session, compared in constant time.

Signed-in forms carry the session's token (stored server-side with the session). The
sign-in form, which has no session yet, uses a signed double-submit token: a random value
in a short-lived signed cookie that the form must echo.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Optional
from urllib.parse import urlsplit

from itsdangerous import BadSignature, TimestampSigner

LOGIN_TOKEN_MAX_AGE_S = 3600


def tokens_match(expected: Optional[str], given: Optional[str]) -> bool:
    """True only when both tokens are present and equal (constant-time comparison)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def origin_allowed(origin: Optional[str], host: Optional[str], fetch_site: Optional[str] = None) -> bool:
    """False when the browser says the request comes from another site.

    `Sec-Fetch-Site` (sent by current browsers) must be same-origin or none (typed by the
    user). An `Origin` header must name this host; "null" (what browsers send under
    Referrer-Policy: no-referrer) and a missing Origin (curl) carry no information and are
    left to the CSRF token check.
    """
    if fetch_site and fetch_site.lower() not in ("same-origin", "none"):
        return False
    if not origin or origin == "null":
        return True
    if not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


class LoginTokens:
    """Issues and checks the pre-sign-in double-submit token.

    Args:
        secret: The console's signing secret.
    """

    def __init__(self, secret: str) -> None:
        self._signer = TimestampSigner(secret, salt="staff-login-csrf")

    def issue(self) -> tuple[str, str]:
        """A new (form token, signed cookie value) pair."""
        token = secrets.token_urlsafe(32)
        return token, self._signer.sign(token).decode("ascii")

    def check(self, cookie_value: Optional[str], form_token: Optional[str]) -> bool:
        """True when the cookie is genuine and fresh and the form echoes its token."""
        if not cookie_value:
            return False
        try:
            token = self._signer.unsign(cookie_value, max_age=LOGIN_TOKEN_MAX_AGE_S).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return False
        return tokens_match(token, form_token)
