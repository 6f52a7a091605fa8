"""The REST channel (/webhooks/rest/webhook) with input hygiene and access control.

Open without a token only in local mode (ASSISTANT_MODE=local, the default, meant for
loopback development); otherwise it needs `Authorization: Bearer $REST_API_TOKEN`, and
with no token configured it is off (403). Bodies over 16 KB get 413. The input channel
is always "rest" (Rasa's own channel lets the client name any channel, e.g. "sms").
Senders with control or bidi characters get 400; metadata is cleaned (`meso.guard.hygiene`).

Rate limits per sender and per client IP (`channels.limits`): a refused message gets
429 with a polite reply in the usual reply list and Retry-After; one the risk screen
finds to be an emergency gets 200 with the 911 instruction instead.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.hygiene import screen_inbound
from channels.limits import cap_request_size, chat_limiter, client_ip, refused
from meso.guard.hygiene import clean_metadata, valid_sender
from meso.settings import Settings, get_settings
from meso.text import clean_text

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
    def name(cls) -> str:
        return "rest"

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or get_settings()
        self.limiter = chat_limiter(self.settings, self.settings.rate_limit_per_ip, self.name())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """GET / (health) and POST /webhook, as Rasa's REST channel; no streaming."""
        rest = Blueprint("rest_webhook", __name__)
        cap_request_size(rest, self.settings.max_request_bytes)
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
            if not valid_sender(sender, MAX_SENDER_CHARS):
                return _error(
                    f"sender must be text of at most {MAX_SENDER_CHARS} characters, without control characters",
                    400,
                )
            raw_message = payload.get("message")
            decision = self.limiter.hit(sender=sender, ip=client_ip(request))
            if not decision.allowed:
                text = clean_text(raw_message) if isinstance(raw_message, str) else None
                reply = await refused(self.name(), decision, sender, text)
                return response.json(
                    [{"recipient_id": sender, "text": reply.text}],
                    status=200 if reply.urgent else 429,
                    headers={"Retry-After": str(max(1, round(decision.retry_after)))},
                )

            screened = await screen_inbound(self.name(), sender, raw_message)
            if not screened.accepted:
                return response.json([{"recipient_id": sender, "text": screened.reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        screened.text,
                        collector,
                        sender,
                        input_channel=self.name(),
                        metadata=clean_metadata(payload.get("metadata")),
                    )
                )
            except Exception as exc:  # noqa: BLE001 - Rasa's own channel also answers what it has
                logger.error("REST turn failed (%s).", type(exc).__name__)
            messages: List[Dict[str, Any]] = collector.messages
            return response.json(messages)

        return rest
