"""Sign-in (the password step), sign-out, and the dependencies that enforce a session and CSRF.

Web adapter only: passwords are checked by `meso.accounts.users`, sessions kept by
`staff.sessions`, failures counted by `staff.throttle`. A right password opens only a
pending session; `staff.mfa` asks for the second factor (or enrols it) and replaces it
with a verified one. Every page with patient data requires a verified session.
"""

from __future__ import annotations

from typing import Annotated, Optional

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from meso.accounts.users import StaffUser
from staff.console import Console, console_of
from staff.csrf import origin_allowed, tokens_match
from staff.sessions import StaffSession

router = APIRouter(include_in_schema=False)

MAX_FORM_BYTES = 64 * 1024
LOGIN_MESSAGES = {
    "expired": "Your session ended. Please sign in again.",
    "signed_out": "You are signed out.",
}


class NotSignedIn(Exception):
    """The request has no live session (the app redirects pages to /login)."""

    def __init__(self, had_cookie: bool = False) -> None:
        super().__init__("not signed in")
        self.had_cookie = had_cookie


class SecondFactorNeeded(Exception):
    """The session has seen the password only (the app redirects pages to /mfa)."""


class Refused(Exception):
    """A request the console refuses with an HTML error page (403, 413, ...)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def client_ip(request: Request) -> str:
    """The client address uvicorn reports (proxy headers only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def optional_session(request: Request) -> Optional[StaffSession]:
    """The live session of this request, or None; cached on `request.state`."""
    if hasattr(request.state, "staff_session"):
        return request.state.staff_session
    console = console_of(request)
    session_id = console.unsign_session(request.cookies.get(console.session_cookie))
    session = console.sessions.resume(session_id) if session_id else None
    request.state.staff_session = session
    return session


def any_session(request: Request) -> StaffSession:
    """The live session, verified or still waiting for its second factor; NotSignedIn otherwise."""
    session = optional_session(request)
    if session is None:
        raise NotSignedIn(had_cookie=console_of(request).session_cookie in request.cookies)
    return session


def require_session(request: Request) -> StaffSession:
    """The live session after password and second factor; raises NotSignedIn or SecondFactorNeeded."""
    session = any_session(request)
    if not session.verified:
        raise SecondFactorNeeded()
    return session


SessionDep = Annotated[StaffSession, Depends(require_session)]
AnySessionDep = Annotated[StaffSession, Depends(any_session)]


def require_admin(request: Request, session: SessionDep) -> StaffSession:
    """The live session of an admin; 403 (audited) for other staff."""
    if not session.user.is_admin:
        console_of(request).audit.record(session.user.username, "audit.denied", target=request.url.path)
        raise Refused(403, "Only administrators can open this page.")
    return session


async def _read_form(request: Request) -> FormData:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        raise Refused(413, "This form is too large.")
    headers = request.headers
    if not origin_allowed(headers.get("origin"), headers.get("host"), headers.get("sec-fetch-site")):
        raise Refused(403, "This request came from another site and was refused.")
    try:
        return await request.form(max_files=0, max_fields=50, max_part_size=MAX_FORM_BYTES)
    except Exception as exc:  # noqa: BLE001 - malformed bodies are refused, not 500s
        raise Refused(400, "This form could not be read.") from exc


async def _checked_form(request: Request, session: StaffSession) -> FormData:
    form = await _read_form(request)
    token = form.get("csrf_token")
    if not tokens_match(session.csrf_token, token if isinstance(token, str) else None):
        raise Refused(
            403, "This form has expired or was not sent by the console. Reload the page and try again."
        )
    return form


async def session_form(request: Request, session: SessionDep) -> FormData:
    """The posted form of a signed-in user, after the CSRF token check (403 when bad)."""
    return await _checked_form(request, session)


async def any_session_form(request: Request, session: AnySessionDep) -> FormData:
    """The posted form of a verified or pending session, after the CSRF token check."""
    return await _checked_form(request, session)


async def login_form(request: Request) -> FormData:
    """The posted sign-in form, after the double-submit CSRF check (403 when bad)."""
    console = console_of(request)
    form = await _read_form(request)
    token = form.get("login_csrf")
    if not console.login_tokens.check(
        request.cookies.get(console.login_cookie), token if isinstance(token, str) else None
    ):
        raise Refused(403, "The sign-in form has expired. Reload the page and try again.")
    return form


def _login_page(request: Request, console: Console, status_code: int = 200, error: str = "") -> Response:
    token, cookie = console.login_tokens.issue()
    message = LOGIN_MESSAGES.get(request.query_params.get("m", ""), "")
    response = console.render(
        request, "login.html", status_code=status_code, login_csrf=token, error=error, message=message
    )
    console.set_cookie(response, console.login_cookie, cookie, max_age=3600)
    return response


@router.get("/login")
def login_page(request: Request) -> Response:
    """The sign-in form (signed-in users go to the queue, pending ones to their second factor)."""
    session = optional_session(request)
    if session is not None:
        return RedirectResponse("/" if session.verified else "/mfa", status_code=303)
    return _login_page(request, console_of(request))


AdminDep = Annotated[StaffSession, Depends(require_admin)]
SessionForm = Annotated[FormData, Depends(session_form)]
AnySessionForm = Annotated[FormData, Depends(any_session_form)]
LoginForm = Annotated[FormData, Depends(login_form)]


@router.post("/login")
def login(request: Request, form: LoginForm) -> Response:
    """Checks the password under the throttle and starts a pending session (second factor next)."""
    console = console_of(request)
    username = str(form.get("username") or "").strip()[:64]
    password = str(form.get("password") or "")
    ip = client_ip(request)
    if console.throttle.blocked(username, ip):
        console.audit.record("anonymous", "login.throttled", target=f"user:{username}", detail=f"ip={ip}")
        minutes = console.settings.staff_login_window_minutes
        return _login_page(
            request,
            console,
            429,
            f"Too many failed sign-in attempts. Wait {minutes} minutes and try again, "
            "or ask an administrator to reset your password.",
        )
    user = console.users.authenticate(username, password)
    if user is None:
        console.throttle.failed(username, ip)
        console.audit.record("anonymous", "login.failed", target=f"user:{username}", detail=f"ip={ip}")
        return _login_page(request, console, 401, "Wrong username or password.")
    console.throttle.succeeded(username)
    enrolled = console.second_factor.is_enrolled(user.id)
    console.audit.record(
        user.username, "login.password", detail=f"ip={ip} next={'code' if enrolled else 'enrol'}"
    )
    response = RedirectResponse("/mfa" if enrolled else "/mfa/enrol", status_code=303)
    set_session_cookie(request, response, start_session(request, user, verified=False))
    console.delete_cookie(response, console.login_cookie)
    return response


def start_session(request: Request, user: StaffUser, verified: bool) -> StaffSession:
    """Ends the request's session, if any, and starts a brand-new one for this request.

    A session id that existed before a sign-in step is never reused (session fixation);
    the caller sends the new id with `set_session_cookie`.
    """
    console = console_of(request)
    old = console.unsign_session(request.cookies.get(console.session_cookie))
    if old:
        console.sessions.end(old)
    session = console.sessions.start(user, verified=verified)
    request.state.staff_session = session
    return session


def set_session_cookie(request: Request, response: Response, session: StaffSession) -> None:
    """Sends the (signed) session id."""
    console = console_of(request)
    console.set_cookie(response, console.session_cookie, console.sign_session(session.session_id))


@router.post("/logout")
def logout(request: Request, form: AnySessionForm, session: AnySessionDep) -> Response:
    """Ends the session server-side and clears the cookie."""
    console = console_of(request)
    console.sessions.end(session.session_id)
    console.audit.record(session.user.username, "logout")
    response = RedirectResponse("/login?m=signed_out", status_code=303)
    console.delete_cookie(response, console.session_cookie)
    return response
