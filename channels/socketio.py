"""The web chat widget's socket.io channel, restricted to allowed origins.

Differences from Rasa's SocketIOInput:
- Only origins in ALLOWED_ORIGINS may open a socket (Engine.IO refuses the handshake,
  and the connect handler checks again). Clients that send no Origin header are not
  browsers and could claim any Origin anyway; they are let through.
- Session ids are issued and signed by the server (`channels.widget_session`); a
  client's stored id is accepted only with a valid signature, and messages use the id
  bound to the socket, never the one in the message. An event sent with no data is
  answered like an empty message (it used to crash the handler: silence).
- Every message goes through the shared input hygiene (`meso.guard.hygiene`) and the rate
  limits per session and per client IP (`channels.limits`); a refused message gets a
  polite reply, or the 911 instruction when it is an emergency.
- Engine.IO's disconnect does not wait for the session's next poll. Stock Engine.IO
  answers a bad polling POST (an unknown packet type such as a NOOP, or a body over its
  cap) by closing the session and then waiting for a GET to collect the close packet:
  with no poll in flight the POST hung until the client gave up. Bodies over
  MAX_PACKET_BYTES also get 413 before Engine.IO sees them, and a request for a session
  that has closed gets 400 instead of Engine.IO's KeyError (a 500).
- A new session is greeted at once (`meso.content.welcome`, in the `language` the widget sends
  with session_request: "en" or "es"): who we are, not for emergencies,
  topic buttons and the privacy line. A resumed session is not greeted again, and no
  message is ever answered with the welcome.
- A bot message with the 911 instruction carries `"urgent": true`, so the widget can
  show it first and announce it assertively.
- `enter_room` is awaited (python-socketio 5.x made it a coroutine; Rasa 3.6 does not
  await it, so its rooms, and session persistence, silently do nothing).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional

import engineio
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOOutput
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from channels.hygiene import screen_inbound
from channels.limits import cap_request_size, chat_limiter, client_ip, refused
from channels.widget_session import SessionSigner
from meso.content.clinic import load_clinic
from meso.content.welcome import web_welcome
from meso.contract import MAX_METADATA_BYTES
from meso.guard.hygiene import clean_metadata
from meso.settings import Settings, get_settings
from meso.sms.messages import URGENT_MARKER
from meso.text import clean_text

logger = logging.getLogger(__name__)

MAX_PACKET_BYTES = 64 * 1024


def origin_allowed(origin: Optional[str], allowed: tuple[str, ...]) -> bool:
    """Whether a handshake with this Origin header may connect (absent: not a browser)."""
    return origin is None or origin in allowed


def _metadata(raw: Any) -> Optional[Dict[str, Any]]:
    """The widget's customData (an object, or its JSON text) as a small cleaned dict, or None."""
    if isinstance(raw, str):
        if len(raw) > MAX_METADATA_BYTES:
            return None
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return clean_metadata(raw, MAX_METADATA_BYTES)


def bot_message(text: str) -> Dict[str, Any]:
    """A plain text bot message, marked urgent when it carries the 911 instruction."""
    return mark_urgent({"text": text})


def mark_urgent(message: Any) -> Any:
    """`message` with `"urgent": true` added when its text tells the patient to call 911."""
    if isinstance(message, dict) and isinstance(message.get("text"), str) and URGENT_MARKER.search(message["text"]):
        return {**message, "urgent": True}
    return message


class UrgentAwareOutput(SocketIOOutput):
    """Rasa's socket.io output, with 911 replies marked urgent."""

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await super()._send_message(socket_id, mark_urgent(response))


class PromptEngineIO(engineio.AsyncServer):
    """Engine.IO whose server-side disconnect queues the close packet and returns at once."""

    async def disconnect(self, sid: Optional[str] = None) -> None:
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is None:
            await super().disconnect(sid)
            return
        await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        self.sockets.pop(sid, None)


class PromptAsyncServer(AsyncServer):
    """python-socketio's server on PromptEngineIO."""

    def _engineio_server_class(self) -> type:
        return PromptEngineIO


def guard_engineio_requests(sio: AsyncServer, max_bytes: int) -> None:
    """Wraps Engine.IO's request handler: POST bodies over `max_bytes` get 413 at once,
    and a request for a session that has closed gets 400, as an unknown session does.

    Engine.IO 4.15 raises KeyError for a closed session it still holds (the client sent
    a close packet, or went quiet past the ping timeout, like a phone that slept), which
    Sanic turned into a 500; the widget's client reconnects on a 400.
    """
    handle = sio.eio.handle_request

    async def guarded(request: Request, *args: Any, **kwargs: Any) -> Any:
        if request.method == "POST" and len(request.body or b"") > max_bytes:
            return response.text("Payload too large", status=413)
        try:
            return await handle(request, *args, **kwargs)
        except KeyError:
            return response.text("Session is disconnected", status=400)

    sio.eio.handle_request = guarded  # the route Engine.IO adds when attached calls this


class SocketIOInput(RasaSocketIOInput):
    """Rasa's socket.io channel with origin checks and server-signed sessions."""

    def __init__(self, *args: Any, settings: Optional[Settings] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings or get_settings()
        self.signer = SessionSigner(self.settings.widget_session_secret or self.settings.staff_session_secret)
        self.limiter = chat_limiter(self.settings, self.settings.rate_limit_per_ip, self.name())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The socket.io server and its blueprint (GET /webhooks/socketio/ is a health check)."""
        allowed = tuple(self.settings.allowed_origins)
        sio = PromptAsyncServer(
            async_mode="sanic",
            cors_allowed_origins=list(allowed),
            max_http_buffer_size=MAX_PACKET_BYTES,
        )
        guard_engineio_requests(sio, MAX_PACKET_BYTES)
        blueprint = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        cap_request_size(blueprint, self.settings.max_request_bytes)
        self.sio = sio
        logger.info("Widget socket.io accepts origins: %s", ", ".join(allowed) or "(none)")

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), allowed):
                logger.warning("Widget connection refused: origin not in ALLOWED_ORIGINS.")
                return False
            await sio.save_session(sid, {"ip": client_ip(environ.get("sanic.request"))}, namespace=self.namespace)
            return True

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any = None) -> None:
            claimed = data.get("session_id") if isinstance(data, dict) else None
            session_id = claimed if self.signer.verify(claimed) else self.signer.issue()
            if claimed and session_id != claimed:
                logger.info("Widget session id without a valid signature replaced by a new one.")
            session = await sio.get_session(sid, namespace=self.namespace)
            await sio.save_session(sid, {**session, "session_id": session_id}, namespace=self.namespace)
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            if session_id != claimed:  # a new conversation: greet it once, in the page's language
                language = data.get("language") if isinstance(data, dict) else None
                welcome = web_welcome(load_clinic(), self.settings.retention_days, str(language or ""))
                for message in welcome:
                    await sio.emit(self.bot_message_evt, message, room=sid, namespace=self.namespace)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=self.namespace)
            session_id = session.get("session_id") if isinstance(session, dict) else None
            if not session_id:
                logger.warning("Widget message before session_request: ignored.")
                return
            # The client's session_id in `data` is ignored: the socket's binding decides.
            sender_id = session_id if self.session_persistence else sid
            data = data if isinstance(data, dict) else {}
            raw_message = data.get("message")
            decision = self.limiter.hit(sender=sender_id, ip=session.get("ip"))
            if not decision.allowed:
                text = clean_text(raw_message) if isinstance(raw_message, str) else None
                reply = await refused(self.name(), decision, sender_id, text)
                await sio.emit(self.bot_message_evt, bot_message(reply.text), room=sid, namespace=self.namespace)
                return
            screened = await screen_inbound(self.name(), sender_id, raw_message)
            if not screened.accepted:
                await sio.emit(
                    self.bot_message_evt, bot_message(screened.reply or ""), room=sid, namespace=self.namespace
                )
                return
            message = UserMessage(
                screened.text,
                UrgentAwareOutput(sio, self.bot_message_evt),
                sender_id,
                input_channel=self.name(),
                metadata=_metadata(data.get(self.metadata_key)),
            )
            await on_new_message(message)

        return blueprint
