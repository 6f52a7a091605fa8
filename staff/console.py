"""The console's collaborators, built once per app: settings, clock, stores, templates."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

import jinja2
from argon2 import PasswordHasher
from fastapi import Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, Signer, URLSafeSerializer

from meso.accounts.api_tokens import ApiTokenStore
from meso.accounts.audit import AuditLog
from meso.accounts.mfa import SecondFactorStore
from meso.accounts.users import StaffUserStore
from meso.cases.escalations import EscalationStore
from meso.content.facts import default_facts_path
from meso.review.dashboard import DashboardData
from meso.review.fact_versions import FactVersionStore
from meso.review.question_groups import UnansweredReport
from meso.settings import Settings
from meso.store.transcripts import TranscriptStore
from staff.csrf import LoginTokens
from staff.cursor import make_serializer
from staff.rendering import make_environment
from staff.sessions import SessionStore, StaffSession
from staff.throttle import LoginThrottle, ThrottlePolicy

logger = logging.getLogger(__name__)

MIN_API_TOKEN_LENGTH = 16


@dataclass
class Console:
    """Everything a request handler needs, reachable as `request.app.state.console`."""

    settings: Settings
    clock: Callable[[], datetime]
    escalations: EscalationStore
    transcripts: TranscriptStore
    audit: AuditLog
    users: StaffUserStore
    second_factor: SecondFactorStore
    api_tokens: ApiTokenStore
    fact_versions: FactVersionStore
    unanswered: UnansweredReport
    dashboard: DashboardData
    sessions: SessionStore
    throttle: LoginThrottle
    login_tokens: LoginTokens
    cookie_signer: Signer
    cursor_signer: URLSafeSerializer
    templates: jinja2.Environment

    @classmethod
    def build(
        cls,
        settings: Settings,
        clock: Callable[[], datetime],
        password_hasher: Optional[PasswordHasher] = None,
    ) -> Console:
        """Wires the stores for `settings`; nothing touches a database yet.

        Args:
            settings: The configuration.
            clock: Returns the current aware UTC time.
            password_hasher: argon2 hasher; argon2-cffi's default argon2id profile when None.

        Raises:
            ValueError: STAFF_API_TOKEN is set but too short, or TRACKER_DB_URL is malformed.
        """
        if settings.staff_api_token and len(settings.staff_api_token) < MIN_API_TOKEN_LENGTH:
            raise ValueError(f"STAFF_API_TOKEN must have at least {MIN_API_TOKEN_LENGTH} characters")
        secret = settings.staff_session_secret
        if not secret:
            logger.warning("STAFF_SESSION_SECRET is empty: using a random one, sessions end on restart")
            secret = secrets.token_urlsafe(32)
        url = settings.escalation_url
        return cls(
            settings=settings,
            clock=clock,
            escalations=EscalationStore.from_settings(settings, clock=clock),
            transcripts=TranscriptStore(settings.tracker_url),
            audit=AuditLog(url, clock=clock),
            users=StaffUserStore(url, clock=clock, hasher=password_hasher),
            second_factor=SecondFactorStore(url, clock=clock, hasher=password_hasher),
            api_tokens=ApiTokenStore(url, clock=clock),
            fact_versions=FactVersionStore(url, default_facts_path(settings), clock=clock),
            unanswered=UnansweredReport(url, clock=clock),
            dashboard=DashboardData(url),
            sessions=SessionStore(
                url,
                idle=timedelta(minutes=settings.staff_session_idle_minutes),
                max_age=timedelta(hours=settings.staff_session_max_hours),
                clock=clock,
            ),
            throttle=LoginThrottle(
                url,
                ThrottlePolicy(
                    window=timedelta(minutes=settings.staff_login_window_minutes),
                    per_username=settings.staff_login_max_failures,
                    per_ip=settings.staff_login_max_failures_per_ip,
                ),
                clock=clock,
            ),
            login_tokens=LoginTokens(secret),
            cookie_signer=Signer(secret, salt="staff-session"),
            cursor_signer=make_serializer(secret),
            templates=make_environment(),
        )

    # -- cookies -------------------------------------------------------------------------

    @property
    def session_cookie(self) -> str:
        """The session cookie name; `__Host-` (Secure, host-only, path /) when secure."""
        return "__Host-staff_session" if self.settings.staff_cookie_secure else "staff_session"

    @property
    def login_cookie(self) -> str:
        """The sign-in CSRF cookie name."""
        return "__Host-staff_login" if self.settings.staff_cookie_secure else "staff_login"

    def sign_session(self, session_id: str) -> str:
        """The cookie value for a session id."""
        return self.cookie_signer.sign(session_id).decode("ascii")

    def unsign_session(self, value: Optional[str]) -> Optional[str]:
        """The session id in a cookie value, or None when absent or forged."""
        if not value:
            return None
        try:
            return self.cookie_signer.unsign(value).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def set_cookie(self, response: Any, name: str, value: str, max_age: Optional[int] = None) -> None:
        """Sets an HttpOnly, SameSite=Strict cookie, Secure unless disabled for localhost."""
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path="/",
            secure=self.settings.staff_cookie_secure,
            httponly=True,
            samesite="strict",
        )

    def delete_cookie(self, response: Any, name: str) -> None:
        """Expires a cookie set by `set_cookie`."""
        response.delete_cookie(
            name, path="/", secure=self.settings.staff_cookie_secure, httponly=True, samesite="strict"
        )

    # -- rendering -----------------------------------------------------------------------

    def render(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Renders a page; the template sees `session`, `csrf_token` and `now`."""
        session: Optional[StaffSession] = getattr(request.state, "staff_session", None)
        html = self.templates.get_template(template).render(
            session=session,
            csrf_token=session.csrf_token if session else "",
            now=self.clock(),
            **context,
        )
        return HTMLResponse(html, status_code=status_code)


def console_of(request: Request) -> Console:
    """The Console of the app serving `request`."""
    return request.app.state.console
