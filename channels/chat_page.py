"""Serves the chat page, the privacy notice and the widget's static files at /chat/.

Not a chat channel: the page talks to the socket.io channel on the same origin. Rasa
mounts channels at urljoin("/webhooks/", url_prefix()), so the absolute prefix
"/chat" puts these routes at /chat/ rather than under /webhooks/.

The pages' Content-Security-Policy allows scripts and styles from 'self' only: the
widget (web/static/meso-chat.js) is started by web/static/chat.js, never inline, and
styles itself with classes from web/static/meso-chat.css.
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
from meso.privacy import Section, privacy_notice
from meso.settings import PROJECT_ROOT, get_settings

logger = logging.getLogger(__name__)

WEB_DIR = PROJECT_ROOT / "web"
STATIC_DIR = WEB_DIR / "static"
WIDGET_BUNDLE = "socket.io.min.js"  # copied from node_modules by `make setup`
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$")

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
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


def render_sections(sections: list[Section]) -> str:
    """The privacy notice's sections as HTML (every text escaped)."""
    parts = []
    for section in sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts.extend(f"<p>{html.escape(paragraph)}</p>" for paragraph in section.paragraphs)
    return "\n    ".join(parts)


def _page(body: str) -> HTTPResponse:
    return response.html(body, headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


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
            logger.warning("web/static/%s is missing: run `make setup` (npm ci) to install it.", WIDGET_BUNDLE)

        @page.route("/", methods=["GET"], strict_slashes=False)
        async def chat(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")  # relative static URLs need the slash
            template = (WEB_DIR / "chat.html").read_text(encoding="utf-8")
            return _page(render_page(template, load_clinic().display_name))

        @page.route("/privacy/", methods=["GET"], strict_slashes=False)
        async def privacy(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")
            clinic = load_clinic()
            template = (WEB_DIR / "privacy.html").read_text(encoding="utf-8")
            sections = render_sections(privacy_notice(clinic, get_settings().retention_days))
            return _page(render_page(template, clinic.display_name).replace("{{ sections }}", sections))

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
