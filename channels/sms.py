"""SMS through Twilio Programmable Messaging, answered in the webhook's TwiML.

POST /webhooks/sms/webhook. Every request must carry a valid X-Twilio-Signature for
SMS_PUBLIC_URL (the exact URL configured in Twilio) and TWILIO_AUTH_TOKEN; anything
else gets 403 and is neither processed nor stored. Without both settings the channel
refuses everything. Replies go back in the response, so no outbound credentials are
needed. The conversation id is the sender's E.164 number (staff call back on it);
logs show only a short hash of it.

Rate limits per phone number and per source IP (`channels.limits`) apply to messages
that would go to the assistant; STOP, START and HELP are always honoured. A refused
message gets a polite TwiML reply, or the 911 instruction when it is an emergency.

The first message from a number the tracker store does not know gets a short welcome
(`meso.content.welcome`: who we are, not for emergencies, HELP/STOP) before the answer, or
after it when the answer is the 911 instruction.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar
from urllib.parse import parse_qs

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from channels.hygiene import is_button_payload, screen_inbound
from channels.limits import cap_request_size, chat_limiter, client_ip, escalate_kept_message, refused
from meso.content.clinic import load_clinic
from meso.content.welcome import sms_welcome
from meso.guard.rate_limit import Limiter
from meso.language import reply_language
from meso.settings import Settings, get_settings
from meso.sms.messages import (
    Keyword,
    help_reply,
    is_e164,
    is_opt_in,
    keyword,
    keyword_language,
    phone_hash,
    pick_option,
    start_reply,
    stop_reply,
    to_sms_segments,
    twiml,
    with_welcome,
)
from meso.store.sms_state import SmsStateStore, Thread
from meso.text import clean_text

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
XML = "text/xml; charset=utf-8"
_SID = re.compile(r"^[A-Za-z0-9]{10,64}$")
T = TypeVar("T")
IsNew = Callable[[str], Awaitable[bool]]


class _Params(Dict[str, List[str]]):
    """Form fields with repeats kept, in the shape RequestValidator signs."""

    def getall(self, name: str) -> List[str]:
        return self[name]


def _fallback_reply() -> str:
    from channels.health import outage_message

    return outage_message()


def _tracker_check(request: Request) -> Optional[IsNew]:
    """Whether a number is new, from the Rasa agent's tracker store (None without an agent)."""
    agent = getattr(request.app.ctx, "agent", None)
    tracker_store = getattr(agent, "tracker_store", None)
    if tracker_store is None:
        return None

    async def is_new(number: str) -> bool:
        return not await tracker_store.exists(number)

    return is_new


class SmsInput(InputChannel):
    """Twilio SMS webhook with signature checks, opt-out keywords, MORE and options."""

    @classmethod
    def name(cls) -> str:
        return "sms"

    def __init__(self, settings: Optional[Settings] = None) -> None:
        self.settings = settings or get_settings()
        self.store = SmsStateStore(self.settings.escalation_url)
        self._validator = RequestValidator(self.settings.twilio_auth_token) if self._configured else None
        self.limiter: Limiter = chat_limiter(self.settings, self.settings.rate_limit_sms_per_ip, self.name())

    @property
    def _configured(self) -> bool:
        return bool(self.settings.twilio_auth_token and self.settings.sms_public_url)

    # -- request checks ----------------------------------------------------------------

    def _signed(self, request: Request, params: _Params) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or self._validator is None:
            return False
        return bool(self._validator.validate(self.settings.sms_public_url, params, signature))

    @staticmethod
    def _params(body: bytes) -> _Params:
        return _Params(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    async def _db(self, default: T, operation: Callable[..., T], *args: Any) -> T:
        """Runs a store call off the event loop; a database failure gives `default`.

        The patient is still answered when the state database fails (Twilio's own
        opt-out handling keeps blocking numbers that sent STOP).
        """
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, functools.partial(operation, *args))
        except (SQLAlchemyError, OSError) as exc:
            logger.error("SMS state unavailable (%s): %s", operation.__name__, type(exc).__name__)
            return default

    # -- the conversation --------------------------------------------------------------

    async def _ask_rasa(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        phone: str,
        text: str,
        sid: str,
        is_new: Optional[IsNew] = None,
    ) -> List[str]:
        collector = CollectingOutputChannel()
        first = await self._first_message(phone, is_new)
        try:
            await on_new_message(UserMessage(text, collector, phone, input_channel=self.name(), message_id=sid))
        except Exception as exc:  # noqa: BLE001 - the patient still gets an honest reply
            logger.error("SMS turn failed (%s); sent the outage reply.", type(exc).__name__)
            return [_fallback_reply()]
        replies = collector.messages
        if first:  # in the first message's language
            replies = with_welcome(replies, sms_welcome(load_clinic(), reply_language(text)))
        turn = to_sms_segments(replies)
        await self._db(None, self.store.save_thread, phone, Thread(pending=turn.pending, options=turn.options))
        return turn.messages

    @staticmethod
    async def _first_message(phone: str, is_new: Optional[IsNew]) -> bool:
        """Whether this is the number's first conversation (unknown when the store fails: no)."""
        if is_new is None:
            return False
        try:
            return await is_new(phone)
        except Exception as exc:  # noqa: BLE001 - a welcome is not worth failing the answer
            logger.error("SMS: cannot tell whether the number is new (%s).", type(exc).__name__)
            return False

    async def respond(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        phone: str,
        body: str,
        sid: str,
        ip: str = "",
        is_new: Optional[IsNew] = None,
    ) -> tuple[List[str], str]:
        """The SMS messages answering `body`, and a one-word outcome for the log.

        `is_new(phone)` tells whether the number has no conversation yet (welcomed).
        """
        body = clean_text(body).strip()
        word = keyword(body)
        language = keyword_language(body) or "en"
        opted_out = await self._db(False, self.store.is_opted_out, phone)
        if word is Keyword.STOP:
            newly = await self._db(True, self.store.opt_out, phone)
            return ([stop_reply(load_clinic(), language)] if newly else []), "stop"
        if is_opt_in(body, opted_out):
            await self._db(False, self.store.opt_in, phone)
            return [start_reply(load_clinic(), language)], "start"
        if opted_out:
            # Nothing is sent to an opted-out number, but staff still hear of a risk.
            await escalate_kept_message(self.name(), phone, body)
            return [], "opted_out"
        if word is Keyword.HELP:
            return [help_reply(load_clinic(), language)], "help"
        decision = self.limiter.hit(sender=phone, ip=ip)
        if not decision.allowed:
            return [(await refused(self.name(), decision, phone, body)).text], "limited"
        thread = await self._db(Thread(), self.store.thread, phone)
        if word is Keyword.MORE and thread.pending:
            await self._db(None, self.store.next_page, phone)
            return thread.pending[0], "more"
        option = pick_option(body, thread.options)
        if option is not None:
            # The payload goes to Rasa, never to the phone: one of our commands, or a
            # topic's plain question; an unknown command goes as its title.
            plain = not option.payload.startswith("/")
            text = option.payload if plain or is_button_payload(option.payload) else option.title
            return await self._ask_rasa(on_new_message, phone, text, sid, is_new), "option"
        screened = await screen_inbound(self.name(), phone, body)
        if not screened.accepted:
            return [screened.reply or ""], screened.reason
        return await self._ask_rasa(on_new_message, phone, screened.text or "", sid, is_new), "message"

    # -- Sanic -------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """POST /webhooks/sms/webhook (Twilio) and GET /webhooks/sms/ (health)."""
        sms = Blueprint("sms_webhook", __name__)
        cap_request_size(sms, self.settings.max_request_bytes)
        if not self._configured:
            logger.warning(
                "SMS channel disabled: TWILIO_AUTH_TOKEN and SMS_PUBLIC_URL must both be set; "
                "every webhook request is refused with 403."
            )

        @sms.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._configured else "disabled"})

        @sms.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._configured:
                return response.text("SMS channel not configured", status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("Request too large", status=413)
            params = self._params(request.body or b"")
            if not self._signed(request, params):
                logger.warning("SMS webhook: refused a request without a valid Twilio signature.")
                return response.text("Invalid signature", status=403)

            sid = (params.get("MessageSid") or params.get("SmsSid") or [""])[0]
            phone = (params.get("From") or [""])[0]
            body = (params.get("Body") or [""])[0]
            if not _SID.match(sid) or not is_e164(phone):
                return response.text("Expected MessageSid and an E.164 From number", status=400)

            previous = await self._db(None, self.store.claim, sid)
            if previous is not None:
                logger.info("SMS %s from %s: retry, answered once.", sid, phone_hash(phone))
                return response.text(previous or twiml([]), content_type=XML)

            messages, outcome = await self.respond(
                on_new_message, phone, body, sid, client_ip(request), is_new=_tracker_check(request)
            )
            xml = twiml(messages)
            await self._db(None, self.store.finish, sid, xml)
            logger.info("SMS %s from %s: %s, %d message(s).", sid, phone_hash(phone), outcome, len(messages))
            return response.text(xml, content_type=XML)

        return sms
