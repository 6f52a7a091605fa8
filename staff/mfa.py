"""The second sign-in step: TOTP enrolment, code entry, recovery codes.

After the password (`staff.auth`), a pending session reaches only these pages. An account
without a confirmed key enrols first: a QR code and the key typed out, confirmed by one
code, then ten recovery codes shown once. Otherwise the user gives a code from the app
or one recovery code. Success replaces the pending session with a verified one. Failures
count in the sign-in throttle (per account and per client address), and every step is
audited. Keys, codes and replays are checked by `meso.accounts.mfa`.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from meso.accounts.mfa import AlreadyEnrolled, CodeCheck
from staff.auth import AnySessionDep, AnySessionForm, client_ip, set_session_cookie, start_session
from staff.console import Console, console_of
from staff.qr import qr_data_uri
from staff.sessions import StaffSession

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

ISSUER = "Clinic staff console"
MAX_CODE_LENGTH = 64


def throttle_key(session: StaffSession) -> str:
    """The throttle's key for second-factor failures ('#' never starts a username)."""
    return f"#mfa:{session.user.id}"


def _verified_home(session: StaffSession) -> Response | None:
    return RedirectResponse("/", status_code=303) if session.verified else None


def _code_page(request: Request, console: Console, status_code: int = 200, error: str = "") -> Response:
    return console.render(request, "mfa.html", status_code=status_code, error=error)


def _enrol_page(
    request: Request, console: Console, session: StaffSession, status_code: int = 200, error: str = ""
) -> Response:
    enrolment = console.second_factor.begin_enrolment(session.user.id)
    uri = enrolment.uri(session.user.username, ISSUER)
    return console.render(
        request,
        "enrol.html",
        status_code=status_code,
        error=error,
        qr=qr_data_uri(uri),
        key=enrolment.grouped,
        issuer=ISSUER,
    )


def _throttled(request: Request, console: Console, session: StaffSession, step: str) -> Response | None:
    ip = client_ip(request)
    if not console.throttle.blocked(throttle_key(session), ip):
        return None
    console.audit.record(session.user.username, "mfa.throttled", detail=f"step={step} ip={ip}")
    minutes = console.settings.staff_login_window_minutes
    message = f"Too many wrong codes. Wait {minutes} minutes and try again, or ask an administrator."
    if step == "enrol":
        return _enrol_page(request, console, session, 429, message)
    return _code_page(request, console, 429, message)


def _failed(request: Request, console: Console, session: StaffSession, action: str, detail: str) -> None:
    ip = client_ip(request)
    console.throttle.failed(throttle_key(session), ip)
    console.audit.record(session.user.username, action, detail=f"{detail} ip={ip}".strip())


def _complete(request: Request, console: Console, session: StaffSession, factor: str) -> StaffSession:
    """Replaces the pending session with a verified one (a new id)."""
    console.throttle.succeeded(throttle_key(session))
    verified = start_session(request, session.user, verified=True)
    console.audit.record(session.user.username, "login", detail=f"ip={client_ip(request)} factor={factor}")
    return verified


def _field(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None  # type: ignore[union-attr]
    return str(value or "")[:MAX_CODE_LENGTH]


@router.get("/mfa")
def code_page(request: Request, session: AnySessionDep) -> Response:
    """The code form (and the recovery-code form) after the password."""
    console = console_of(request)
    if (home := _verified_home(session)) is not None:
        return home
    if not console.second_factor.is_enrolled(session.user.id):
        return RedirectResponse("/mfa/enrol", status_code=303)
    return _code_page(request, console)


@router.post("/mfa")
def check_code(request: Request, form: AnySessionForm, session: AnySessionDep) -> Response:
    """Checks a code from the authenticator app; a code already used is refused and audited."""
    console = console_of(request)
    if (home := _verified_home(session)) is not None:
        return home
    if (blocked := _throttled(request, console, session, "code")) is not None:
        return blocked
    verdict = console.second_factor.verify(session.user.id, _field(form, "code"))
    if verdict is CodeCheck.NOT_ENROLLED:
        return RedirectResponse("/mfa/enrol", status_code=303)
    if verdict is CodeCheck.REPLAYED:
        logger.warning("second factor: a code was used twice for staff account %d", session.user.id)
        _failed(request, console, session, "mfa.replayed", "")
        return _code_page(request, console, 401, "This code was already used. Wait for the next one.")
    if verdict is CodeCheck.WRONG:
        _failed(request, console, session, "mfa.failed", "factor=totp")
        return _code_page(request, console, 401, "Wrong code. Check the time on your phone and try again.")
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, _complete(request, console, session, "totp"))
    return response


@router.post("/mfa/recovery")
def use_recovery_code(request: Request, form: AnySessionForm, session: AnySessionDep) -> Response:
    """Signs in with one recovery code (each works once)."""
    console = console_of(request)
    if (home := _verified_home(session)) is not None:
        return home
    if (blocked := _throttled(request, console, session, "recovery")) is not None:
        return blocked
    left = console.second_factor.use_recovery_code(session.user.id, _field(form, "recovery_code"))
    if left is None:
        _failed(request, console, session, "mfa.failed", "factor=recovery")
        return _code_page(request, console, 401, "This recovery code is wrong or was already used.")
    console.audit.record(session.user.username, "mfa.recovery_used", detail=f"left={left}")
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, _complete(request, console, session, "recovery"))
    return response


@router.get("/mfa/enrol")
def enrol_page(request: Request, session: AnySessionDep) -> Response:
    """The QR code and key of a new second factor (the same key until it is confirmed)."""
    console = console_of(request)
    if (home := _verified_home(session)) is not None:
        return home
    if console.second_factor.is_enrolled(session.user.id):
        return RedirectResponse("/mfa", status_code=303)
    response = _enrol_page(request, console, session)
    console.audit.record(session.user.username, "mfa.enrol.view")
    return response


@router.post("/mfa/enrol")
def confirm_enrolment(request: Request, form: AnySessionForm, session: AnySessionDep) -> Response:
    """Confirms the key with a first code; shows the recovery codes once."""
    console = console_of(request)
    if (home := _verified_home(session)) is not None:
        return home
    if (blocked := _throttled(request, console, session, "enrol")) is not None:
        return blocked
    try:
        enrolment = console.second_factor.begin_enrolment(session.user.id)
    except AlreadyEnrolled:
        return RedirectResponse("/mfa", status_code=303)
    codes = console.second_factor.confirm_enrolment(session.user.id, enrolment.secret, _field(form, "code"))
    if codes is None:
        _failed(request, console, session, "mfa.enrol.failed", "")
        return _enrol_page(request, console, session, 401, "Wrong code. Scan the QR code again and try a new code.")
    console.audit.record(session.user.username, "mfa.enrolled", detail=f"recovery_codes={len(codes)}")
    verified = _complete(request, console, session, "totp")
    response = console.render(request, "recovery_codes.html", codes=codes)
    set_session_cookie(request, response, verified)
    return response
