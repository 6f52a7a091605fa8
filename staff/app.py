"""The staff console application factory: routes, error pages, security middleware."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from meso.cases.escalations import EscalationUnavailable
from meso.clock import utcnow
from meso.settings import Settings, get_settings
from staff import api, auth, content_api, content_pages, dashboard_pages, mfa, pages, unanswered_pages
from staff.auth import MAX_FORM_BYTES, NotSignedIn, Refused, SecondFactorNeeded
from staff.body_limit import BodyLimitMiddleware
from staff.console import Console, console_of
from staff.security import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(api.API_PREFIX + "/") or request.url.path == api.API_PREFIX


def _error_page(request: Request, status_code: int, message: str) -> Response:
    console = console_of(request)
    return console.render(
        request,
        "error.html",
        status_code=status_code,
        title=ERROR_TITLES.get(status_code, "Error"),
        message=message,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        if request.method in ("GET", "HEAD"):
            target = "/login?m=expired" if exc.had_cookie else "/login"
            response: Response = RedirectResponse(target, status_code=303)
        else:
            response = _error_page(request, 403, "Your session has ended. Sign in again.")
        if exc.had_cookie:
            console_of(request).delete_cookie(response, console_of(request).session_cookie)
        return response

    @app.exception_handler(SecondFactorNeeded)
    async def second_factor_needed(request: Request, exc: SecondFactorNeeded) -> Response:
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/mfa", status_code=303)
        return _error_page(request, 403, "Enter the code from your authenticator app first.")

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return _error_page(request, exc.status_code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return await http_exception_handler(request, exc)
        messages = {404: "This page does not exist.", 405: "This page does not accept that request."}
        return _error_page(
            request, exc.status_code, messages.get(exc.status_code, "The request was refused.")
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        return _error_page(request, 400, "The address or form has a value the console does not accept.")

    async def unavailable(request: Request, exc: Exception) -> Response:
        logger.warning("database unavailable: %s", type(exc).__name__)
        if _is_api(request):
            return JSONResponse({"detail": "The escalation database is unavailable."}, status_code=503)
        return _error_page(request, 503, "The escalation database is unavailable. Try again in a minute.")

    app.add_exception_handler(EscalationUnavailable, unavailable)
    app.add_exception_handler(DBAPIError, unavailable)


def create_app(
    settings: Optional[Settings] = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    password_hasher: Optional[PasswordHasher] = None,
) -> FastAPI:
    """Builds the console.

    Args:
        settings: The configuration; read from the environment when None.
        clock: Returns the current aware UTC time (sessions, ages, audit); tests inject one.
        password_hasher: argon2 hasher for sign-in; argon2-cffi's default argon2id profile
            (RFC 9106 low memory) when None. Tests pass a cheaper argon2id one.

    Raises:
        ValueError: An unusable setting (short API token, malformed TRACKER_DB_URL).
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="Staff console",
        docs_url=None,  # the docs UIs need inline scripts and a CDN
        redoc_url=None,
        openapi_url=None,  # served by staff.api at /api/openapi.json, /api routes only
    )
    app.state.console = Console.build(settings, clock, password_hasher)

    @app.get("/healthz", include_in_schema=False)
    def healthz(request: Request) -> JSONResponse:
        """No auth, no data: whether the escalation database answers."""
        if console_of(request).escalations.ping():
            return JSONResponse({"status": "ok"})
        return JSONResponse({"status": "unavailable"}, status_code=503)

    app.include_router(auth.router)
    app.include_router(mfa.router)
    app.include_router(pages.router)
    app.include_router(content_pages.router)
    app.include_router(unanswered_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(api.router)
    app.include_router(content_api.router)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _install_error_handlers(app)

    allowed_hosts = list(settings.staff_allowed_hosts) or ["127.0.0.1", "localhost"]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_FORM_BYTES)  # 413 before any route reads
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: also on the host check's 400
    return app
