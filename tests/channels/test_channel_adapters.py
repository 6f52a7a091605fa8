"""The channel adapters in process, with a stand-in bot: configurations that would
otherwise each need their own Rasa server (no Twilio token, REST outside local mode),
and the chat page's headers and file serving."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any, List
from urllib.parse import urljoin

import httpx
import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic
from twilio.request_validator import RequestValidator

from channels.chat_page import ChatPageInput
from channels.rest import MAX_BODY_BYTES, RestInput
from channels.sms import SmsInput
from meso.content.clinic import load_clinic
from meso.settings import Settings

pytestmark = pytest.mark.filterwarnings("ignore")
_APP_NUMBER = itertools.count()
PUBLIC_URL = "https://clinic.example/webhooks/sms/webhook"


class Bot:
    """Answers "echo: <text>" and records what it was given."""

    def __init__(self) -> None:
        self.received: List[UserMessage] = []

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        await message.output_channel.send_response(message.sender_id, {"text": f"echo: {message.text}"})


LIFECYCLE_SIGNALS = [
    *(
        f"http.lifecycle.{name}"
        for name in (
            "begin",
            "read_head",
            "request",
            "handle",
            "read_body",
            "exception",
            "response",
            "send",
            "complete",
        )
    ),
    "http.routing.before",
    "http.routing.after",
]


async def _noop(**_: Any) -> None:
    return None


def serve(*channels: InputChannel) -> tuple[httpx.AsyncClient, Bot, Sanic]:
    app = Sanic(f"channels_test_{next(_APP_NUMBER)}")
    bot = Bot()
    for channel in channels:
        app.blueprint(channel.blueprint(bot), url_prefix=urljoin("/webhooks/", channel.url_prefix()))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:5005")
    return client, bot, app


async def started(*channels: InputChannel) -> tuple[httpx.AsyncClient, Bot]:
    client, bot, app = serve(*channels)
    # Sanic's startup without its process-global "touchup" (which only runs once per
    # process): give every HTTP lifecycle signal a no-op handler instead.
    for event in LIFECYCLE_SIGNALS:
        app.add_signal(_noop, event)
    app.signalize()
    app.finalize()
    return client, bot


def run(coroutine: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


# --- SMS ---------------------------------------------------------------------------------


def sms_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values = {
        "twilio_auth_token": "secret-token",
        "sms_public_url": PUBLIC_URL,
        "escalation_db_url": f"sqlite:///{tmp_path / 'e.db'}",
    }
    return Settings(**{**values, **overrides})


def test_sms_without_a_token_refuses_everything(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        client, bot = await started(SmsInput(sms_settings(tmp_path, twilio_auth_token="")))
        params = {"MessageSid": "SM" + "1" * 32, "From": "+18185550100", "Body": "hello"}
        # Even a request signed with some token is refused: there is nothing to check it against.
        signature = RequestValidator("anything").compute_signature(PUBLIC_URL, params)
        reply = await client.post(
            "/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert reply.status_code == 403
        assert bot.received == []

    run(scenario())
    assert sum("SMS channel disabled" in r.getMessage() for r in caplog.records) == 1


def test_sms_signed_request_reaches_the_bot_and_oversized_is_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        client, bot = await started(SmsInput(sms_settings(tmp_path)))
        params = {"MessageSid": "SM" + "2" * 32, "From": "+18185550100", "Body": "/greet"}
        signature = RequestValidator("secret-token").compute_signature(PUBLIC_URL, params)
        reply = await client.post(
            "/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/xml")
        assert [m.text for m in bot.received] == ["greet"], "an unlisted command arrives as plain text"
        assert bot.received[0].input_channel == "sms" and bot.received[0].sender_id == "+18185550100"
        big = await client.post("/webhooks/sms/webhook", content=b"Body=" + b"a" * 70000)
        assert big.status_code == 413

    run(scenario())


# --- REST --------------------------------------------------------------------------------


def test_rest_outside_local_mode_needs_the_bearer_token() -> None:
    async def scenario() -> None:
        client, bot = await started(
            RestInput(Settings(assistant_mode="production", rest_api_token="tok-123"))
        )
        body = {"sender": "a", "message": "hello"}
        assert (await client.post("/webhooks/rest/webhook", json=body)).status_code == 403
        wrong = {"Authorization": "Bearer tok-124"}
        assert (await client.post("/webhooks/rest/webhook", json=body, headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer tok-123"}
        reply = await client.post("/webhooks/rest/webhook", json=body, headers=right)
        assert reply.status_code == 200 and reply.json()[0]["text"] == "echo: hello"

    run(scenario())


def test_rest_outside_local_mode_without_a_token_is_off() -> None:
    async def scenario() -> None:
        client, bot = await started(RestInput(Settings(assistant_mode="production", rest_api_token="")))
        reply = await client.post(
            "/webhooks/rest/webhook",
            json={"sender": "a", "message": "hi"},
            headers={"Authorization": "Bearer "},
        )
        assert reply.status_code == 403 and bot.received == []

    run(scenario())


def test_rest_local_mode_caps_the_body_and_pins_the_channel() -> None:
    async def scenario() -> None:
        client, bot = await started(RestInput(Settings(assistant_mode="local")))
        big = await client.post(
            "/webhooks/rest/webhook", json={"sender": "a", "message": "x" * MAX_BODY_BYTES}
        )
        assert big.status_code == 413
        reply = await client.post(
            "/webhooks/rest/webhook", json={"sender": "a", "message": "hi", "input_channel": "sms"}
        )
        assert reply.status_code == 200
        assert bot.received[-1].input_channel == "rest"
        assert (await client.post("/webhooks/rest/webhook", content=b"not json")).status_code == 400
        assert (
            await client.post("/webhooks/rest/webhook", json={"sender": ["x"], "message": "hi"})
        ).status_code == 400

    run(scenario())


# --- chat page ---------------------------------------------------------------------------


def test_chat_page_has_the_clinic_name_and_a_strict_csp() -> None:
    async def scenario() -> None:
        client, _ = await started(ChatPageInput())
        page = await client.get("/chat/")
        assert page.status_code == 200
        assert load_clinic().display_name in page.text
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-eval" not in csp
        assert "<script>" not in page.text, "no inline script"
        assert (await client.get("/chat")).status_code in (200, 301, 302)
        script = await client.get("/chat/static/chat.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        for bad in ("/chat/static/..%2Fchat.html", "/chat/static/.gitignore", "/chat/static/missing.js"):
            assert (await client.get(bad)).status_code == 404, bad

    run(scenario())
