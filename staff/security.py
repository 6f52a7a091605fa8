"""HTTP security headers for every console response (an ASGI middleware).

The Content-Security-Policy allows no inline script or style, so markup injected
through patient text could neither run nor restyle the page even if escaping failed.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Tuple

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

BASE_HEADERS: Tuple[Tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)
# Pages and API answers carry health information: never stored by browsers or proxies.
NO_STORE = (b"cache-control", b"no-store"), (b"pragma", b"no-cache")
STATIC_CACHE = ((b"cache-control", b"public, max-age=3600"),)

Scope = Dict[str, Any]
Message = Dict[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class SecurityHeadersMiddleware:
    """Adds the security headers, and no-store caching everywhere but /static/.

    Args:
        app: The wrapped ASGI application.
        static_prefix: Path prefix of the (patient-data-free) static files.
    """

    def __init__(self, app: ASGIApp, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = BASE_HEADERS + (STATIC_CACHE if scope["path"].startswith(self.static_prefix) else NO_STORE)
        names = {name for name, _ in extra}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: List[Tuple[bytes, bytes]] = [
                    (name, value) for name, value in message.get("headers", []) if name.lower() not in names
                ]
                message = {**message, "headers": headers + list(extra)}
            await send(message)

        await self.app(scope, receive, send_with_headers)
