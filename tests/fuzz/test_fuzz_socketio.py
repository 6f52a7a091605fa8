"""Fuzzes the widget's socket.io channel: events with any data, and raw Engine.IO requests."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.stack import Stack
from tests.fuzz.conftest import FUZZ, FuzzRecord, assert_healthy
from tests.fuzz.strategies import json_values, messages, texts
from tests.support.widget import Widget

PER_SESSION = 40  # examples sent over one widget session before a new one is opened
EVENTS = ["user_uttered", "user_uttered", "user_uttered", "user_uttered", "session_request", "bot_uttered", "nonsense"]
payloads = st.one_of(
    st.fixed_dictionaries(
        {"message": messages},
        optional={"customData": json_values, "session_id": texts, "sender": texts},
    ),
    json_values,
)


class Runner:
    """Drives widgets from synchronous hypothesis examples on one event loop."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.loop = asyncio.new_event_loop()
        self.widget: Widget | None = None
        self.sent = 0
        self.user_messages = 0
        self.replies = 0

    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    async def _widget(self) -> Widget:
        if self.widget is None or self.sent % PER_SESSION == 0:
            if self.widget is not None:
                await self._drain(self.widget, 0.5)
                await self.widget.close()
            self.widget = Widget(self.stack.rasa_url, self.stack.env["ALLOWED_ORIGINS"])
            await self.widget.open()
        return self.widget

    async def _drain(self, widget: Widget, wait: float) -> None:
        try:
            while True:
                await asyncio.wait_for(widget.replies.get(), wait)
                self.replies += 1
        except asyncio.TimeoutError:
            return

    async def send(self, event: str, data: Any) -> None:
        widget = await self._widget()
        self.sent += 1
        await widget.emit(event, data)
        if event == "user_uttered":
            self.user_messages += 1
            # Every user message is answered: wait for one reply (any turn's), take what else is there.
            await asyncio.wait_for(widget.replies.get(), 120)
            self.replies += 1
            await self._drain(widget, 0.001)

    async def finish(self) -> None:
        if self.widget is not None:
            await self._drain(self.widget, 3)
            await self.widget.close()


@pytest.fixture(scope="module")
def runner(stack: Stack) -> Iterator[Runner]:
    driver = Runner(stack)
    yield driver
    driver.loop.close()


def test_fuzz_socketio_events(stack: Stack, record: FuzzRecord, runner: Runner) -> None:
    tally = record.target("socketio_events")
    started = time.monotonic()

    @settings(FUZZ, max_examples=1000)
    @given(event=st.sampled_from(EVENTS), data=payloads)
    def one(event: str, data: Any) -> None:
        runner.run(runner.send(event, data))
        tally.saw(200)

    one()
    runner.run(runner.finish())
    tally.seconds += time.monotonic() - started
    assert runner.replies >= runner.user_messages, "every user message got an answer"
    record.extra["socketio_user_messages"] = runner.user_messages
    assert_healthy(stack)


queries = st.dictionaries(
    st.sampled_from(["EIO", "transport", "sid", "t", "b64", "j", "x"]),
    st.one_of(st.sampled_from(["4", "3", "polling", "websocket", "1"]), texts),
    max_size=5,
)


def test_fuzz_engineio_http(stack: Stack, record: FuzzRecord) -> None:
    tally = record.target("engineio_http")
    url = f"{stack.rasa_url}/socket.io/"
    origin = stack.env["ALLOWED_ORIGINS"]
    started = time.monotonic()
    with httpx.Client(timeout=60) as http:
        handshake = http.get(url, params={"EIO": "4", "transport": "polling"}, headers={"Origin": origin})
        live_sid = handshake.text.split('"sid":"')[1].split('"')[0]

        @settings(FUZZ, max_examples=900)
        @given(
            method=st.sampled_from(["GET", "POST", "POST", "OPTIONS", "PUT"]),
            query=queries,
            use_live=st.booleans(),
            body=st.one_of(st.binary(max_size=200), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))),
            header_origin=st.sampled_from([origin, origin, None, "http://evil.example", "null"]),
        )
        def one(method: str, query: dict, use_live: bool, body: bytes, header_origin: str | None) -> None:
            # GET on a live session is a long poll (it waits for the next ping): POST only.
            live = use_live and method == "POST"
            query = {key: value.encode("utf-8", "replace").decode("utf-8") for key, value in query.items()}
            params = {**query, "EIO": "4", "transport": "polling", "sid": live_sid} if live else query
            headers = {"Origin": header_origin} if header_origin else {}
            content = body if method in ("POST", "PUT") else None
            reply = http.request(method, url, params=params, content=content, headers=headers)
            tally.saw(reply.status_code)
            assert reply.status_code < 500, (reply.status_code, reply.text[:300])

        one()
    tally.seconds += time.monotonic() - started
    assert_healthy(stack)


def test_every_reply_was_text(runner: Runner) -> None:
    """The replies the event fuzzer collected all carried text (never a raw error)."""
    assert runner.replies > 0
