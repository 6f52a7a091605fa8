"""The REST channel (/webhooks/rest/webhook) with input hygiene and access control.

Open without a token only in local mode (ASSISTANT_MODE=local, the default, meant for
loopback development); otherwise it needs `Authorization: Bearer $REST_API_TOKEN`, and
with no token configured it is off (403). Bodies over 16 KB get 413. The input channel
is always "rest" (Rasa's own channel lets the client name any channel, e.g. "sms").
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.hygiene import screen_message
from meso.settings import Settings, get_settings

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_SENDER_CHARS = 128
DEFAULT_SENDER = "default"


def authorised(settings: Settings, header: Optional[str]) -> bool:
    """Whether a request with this Authorization header may use the channel."""
    if settings.assistant_mode == "local":
        return True
    token = settings.rest_api_token
    if not token or not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip().encode(), token.encode())


def _error(message: str, status: int) -> HTTPResponse:
    return response.json({"error": message}, status=status)


class RestInput(RasaRestInput):
    """Rasa's REST channel, screened and access-controlled (see module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or get_settings()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """GET / (health) and POST /webhook, as Rasa's REST channel; no streaming."""
        rest = Blueprint("rest_webhook", __name__)
        if self.settings.assistant_mode != "local" and not self.settings.rest_api_token:
            logger.warning("REST channel off: ASSISTANT_MODE is not local and REST_API_TOKEN is empty.")

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not authorised(self.settings, request.headers.get("Authorization")):
                return _error("Forbidden", 403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return _error(f"Request body over {MAX_BODY_BYTES} bytes", 413)
            try:
                payload = json.loads(request.body or b"")
            except ValueError:
                return _error('Expected a JSON object {"sender": ..., "message": ...}', 400)
            if not isinstance(payload, dict):
                return _error('Expected a JSON object {"sender": ..., "message": ...}', 400)
            sender = payload.get("sender") or DEFAULT_SENDER
            if not isinstance(sender, str) or len(sender) > MAX_SENDER_CHARS:
                return _error(f"sender must be text of at most {MAX_SENDER_CHARS} characters", 400)
            metadata = payload.get("metadata")
            metadata = metadata if isinstance(metadata, dict) else None

            screened = screen_message(payload.get("message"))
            if not screened.accepted:
                return response.json([{"recipient_id": sender, "text": screened.reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(screened.text, collector, sender, input_channel=self.name(), metadata=metadata)
                )
            except Exception as exc:  # noqa: BLE001 - Rasa's own channel also answers what it has
                logger.error("REST turn failed (%s).", type(exc).__name__)
            messages: List[Dict[str, Any]] = collector.messages
            return response.json(messages)

        return rest
