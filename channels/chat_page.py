"""Serves the chat page and the widget's static files at /chat/ from the Rasa server.

Not a chat channel: the page talks to the socket.io channel on the same origin. Rasa
mounts channels at urljoin("/webhooks/", url_prefix()), so the absolute prefix
"/chat" puts these routes at /chat/ rather than under /webhooks/.

The page's Content-Security-Policy allows scripts from 'self' only (the widget is
started by web/static/chat.js, never inline). rasa-webchat injects its stylesheet as
<style> elements and sets inline styles, so style-src needs 'unsafe-inline'.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from meso.clinic import load_clinic
from meso.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

WEB_DIR = PROJECT_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"
WIDGET_BUNDLE = "webchat.js"
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$")

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS: Dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def render_page(template: str, clinic_name: str) -> str:
    """The chat page with the clinic's name filled in (HTML-escaped)."""
    return template.replace("{{ clinic_name }}", html.escape(clinic_name, quote=True))


class ChatPageInput(InputChannel):
    """GET /chat/ (the page) and GET /chat/static/<file> (its scripts and styles)."""

    @classmethod
    def name(cls) -> str:
        return "chat"

    def url_prefix(self) -> str:
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The page's routes; `on_new_message` is unused (messages go over socket.io)."""
        page = Blueprint("chat_page", __name__)
        if not (STATIC_DIR / WIDGET_BUNDLE).is_file():
            logger.warning("web/static/%s is missing: run `make setup` (npm ci) to install the widget.", WIDGET_BUNDLE)

        @page.route("/", methods=["GET"], strict_slashes=False)
        async def chat(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")  # relative static URLs need the slash
            template = (WEB_DIR / "chat.html").read_text(encoding="utf-8")
            body = render_page(template, load_clinic().display_name)
            return response.html(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})

        @page.route("/static/<filename:str>", methods=["GET"])
        async def static(_: Request, filename: str) -> HTTPResponse:
            path = STATIC_DIR / filename
            kind = STATIC_TYPES.get(Path(filename).suffix)
            if not _STATIC_NAME.match(filename) or kind is None or not path.is_file():
                return response.text("Not found", status=404, headers=SECURITY_HEADERS)
            content_type = kind or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            return response.raw(
                path.read_bytes(),
                content_type=content_type,
                headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"},
            )

        return page
