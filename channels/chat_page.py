"""Serves the chat page, the privacy notice and the widget's static files at /chat/.

The pages are in English at /chat/ and /chat/privacy/, in Spanish at /chat/es/ and
/chat/es/privacy/ (`lang` set, each linking to the other); the Spanish page starts the
widget in Spanish (its own labels, the welcome, customData.language "es").

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

from meso.content.clinic import load_clinic
from meso.content.privacy import Section, privacy_notice
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


PAGES = {"en": "/chat/", "es": "/chat/es/"}
PAGE_TEXT: Dict[str, Dict[str, str]] = {
    "en": {
        "title": "Questions about mesotherapy",
        "intro": (
            "Questions about mesotherapy? Our automated assistant answers from information the "
            "clinic has reviewed. Open the chat with the button at the bottom right."
        ),
        "not_for_emergencies": "Not for emergencies.",
        "call_911": "If you think you have a medical emergency, call 911.",
        "privacy": "How we use your messages",
        "back": "Back to the chat",
        "needs_javascript": "The chat needs JavaScript.",
        "chat_label": "Chat with the clinic's assistant",
        "other_label": "En español",
    },
    "es": {
        "title": "Preguntas sobre la mesoterapia",
        "intro": (
            "¿Tiene preguntas sobre la mesoterapia? Nuestro asistente automático responde con "
            "información revisada por la clínica. Abra el chat con el botón de abajo a la derecha."
        ),
        "not_for_emergencies": "No es para emergencias.",
        "call_911": "Si cree que tiene una emergencia médica, llame al 911.",
        "privacy": "Cómo usamos sus mensajes",
        "back": "Volver al chat",
        "needs_javascript": "El chat necesita JavaScript.",
        "chat_label": "Chat con el asistente de la clínica",
        "other_label": "In English",
    },
}


def render_page(template: str, clinic_name: str, language: str = "en") -> str:
    """A page template with the clinic's name and the language's texts filled in (HTML-escaped)."""
    other = "es" if language == "en" else "en"
    values = {
        **PAGE_TEXT[language],
        "clinic_name": clinic_name,
        "lang": language,
        "other_lang": other,
        "other_page": PAGES[other],
        "chat_page": PAGES[language],
        "privacy_page": f"{PAGES[language]}privacy/",
    }
    for key, value in values.items():
        template = template.replace("{{ " + key + " }}", html.escape(value, quote=True))
    return template


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

        def chat_page(language: str) -> HTTPResponse:
            template = (WEB_DIR / "chat.html").read_text(encoding="utf-8")
            return _page(render_page(template, load_clinic().display_name, language))

        def privacy_page(language: str) -> HTTPResponse:
            clinic = load_clinic()
            template = (WEB_DIR / "privacy.html").read_text(encoding="utf-8")
            sections = render_sections(privacy_notice(clinic, get_settings().retention_days, language))
            return _page(render_page(template, clinic.display_name, language).replace("{{ sections }}", sections))

        @page.route("/", methods=["GET"], strict_slashes=False)
        async def chat(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")
            return chat_page("en")

        @page.route("/es/", methods=["GET"], strict_slashes=False)
        async def chat_es(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")
            return chat_page("es")

        @page.route("/privacy/", methods=["GET"], strict_slashes=False)
        async def privacy(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")
            return privacy_page("en")

        @page.route("/es/privacy/", methods=["GET"], strict_slashes=False)
        async def privacy_es(request: Request) -> HTTPResponse:
            if not request.path.endswith("/"):
                return response.redirect(f"{request.path}/")
            return privacy_page("es")

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
