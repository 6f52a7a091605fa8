"""The widget's socket.io channel against the real servers: server-issued sessions, caps,
"/" commands, cleaning and rate limits."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any, Awaitable, Callable, List

import httpx
import pytest
import socketio

from devstack.stack import Stack
from meso.guard.hygiene import EMPTY_REPLY, TOO_LONG_REPLY
from meso.guard.refusals import LIMITED_REPLY, domain_responses
from meso.text import clean_text
from tests.hostile.checks import DIRTY_EMERGENCY, is_clean
from tests.hostile.conftest import PER_IP, PER_SENDER, new_ip
from tests.support.stores import eventually, slot_names, user_events
from tests.support.widget import Widget


def origin(stack: Stack) -> str:
    return stack.env["ALLOWED_ORIGINS"]


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


def texts(replies: List[dict]) -> List[str]:
    return [reply.get("text", "") for reply in replies]


def test_sessions_are_issued_by_the_server_and_bound_to_the_socket(stack: Stack) -> None:
    async def scenario() -> tuple[str, str]:
        first = Widget(stack.rasa_url, origin(stack), new_ip())
        issued = await first.open()
        assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{32}", issued)
        await first.close()
        forger = Widget(stack.rasa_url, origin(stack), new_ip())
        tampered = issued[:-1] + ("0" if issued[-1] != "0" else "1")
        for claim in ("victim", tampered):
            granted = await forger.open(claim)
            assert granted not in (claim, issued)
            await forger.close()
            forger = Widget(stack.rasa_url, origin(stack), new_ip())
        own = await forger.open()
        await forger.say("hello", session_id=issued, sender=issued)
        await forger.close()
        return issued, own

    issued, own = run(scenario)
    assert eventually(lambda: len(user_events(stack, own)) == 1), "the message went to the socket's own session"
    assert user_events(stack, issued) == [], "ids inside a message are ignored"


def test_a_foreign_origin_cannot_connect(stack: Stack) -> None:
    async def scenario() -> None:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await Widget(stack.rasa_url, "http://evil.example", new_ip()).open(timeout=10)

    run(scenario)


def test_length_cap_commands_and_cleaning(stack: Stack) -> None:
    async def scenario() -> tuple[str, str]:
        widget = Widget(stack.rasa_url, origin(stack), new_ip())
        first = await widget.open()
        assert texts(await widget.say("is it safe? " * 100)) == [TOO_LONG_REPLY]
        assert texts(await widget.say({"not": "text"})) == [EMPTY_REPLY]
        assert await widget.say('/greet{"x": 1}')
        await widget.close()
        widget = Widget(stack.rasa_url, origin(stack), new_ip())  # a fresh session: the last one used its 3
        second = await widget.open()
        replies = texts(await widget.say(DIRTY_EMERGENCY, customData={"lang\u202e": "en\x00"}))
        assert replies[0] == domain_responses()["utter_emergency"]
        await widget.close()
        return first, second

    first, second = run(scenario)
    forged = eventually(lambda: user_events(stack, first))
    assert [event["text"] for event in forged] == ['greet{"x": 1}']
    assert not forged[0]["parse_data"].get("entities") and "x" not in slot_names(stack, first)
    dirty = eventually(lambda: user_events(stack, second))
    assert [event["text"] for event in dirty] == [clean_text(DIRTY_EMERGENCY).strip()]
    assert is_clean(dirty[0]["text"])
    assert dirty[0]["metadata"]["lang"] == "en" and "lang\u202e" not in dirty[0]["metadata"]


def test_events_without_data_are_answered(stack: Stack) -> None:
    """Found by the fuzzer: an event with no data crashed the handler, leaving silence."""

    async def scenario() -> List[str]:
        widget = Widget(stack.rasa_url, origin(stack), new_ip())
        await widget.open()
        await widget.emit("session_request", None)  # a new session: greeted once more
        await widget.emit("user_uttered", None)
        replies = [await asyncio.wait_for(widget.replies.get(), 30) for _ in range(len(widget.welcome) + 1)]
        await widget.close()
        return texts(replies)

    seen = run(scenario)
    assert seen.count(EMPTY_REPLY) == 1, seen
    assert sum("call 911" in text for text in seen) == 1, "the new session was welcomed once"


def test_a_new_session_is_welcomed_once_and_never_as_a_reply(stack: Stack) -> None:
    async def scenario() -> tuple[List[dict], List[dict], List[dict]]:
        widget = Widget(stack.rasa_url, origin(stack), new_ip())
        session = await widget.open()
        welcome = widget.welcome
        answer = await widget.say("How much does it cost?")
        await widget.close()
        again = Widget(stack.rasa_url, origin(stack), new_ip())
        assert await again.open(session) == session
        later = await again.say("thank you")
        await again.close()
        return welcome, answer, again.welcome + later

    welcome, answer, resumed = run(scenario)
    shown = " ".join(texts(welcome))
    assert "automated assistant" in shown and "not a person" in shown
    assert "call 911" in shown and not any(m.get("urgent") for m in welcome), "a notice, not an emergency reply"
    buttons = [b for m in welcome for b in m.get("quick_replies", [])]
    assert buttons and all(not b["payload"].startswith("/") for b in buttons), "plain questions, not intents"
    assert [m["link"]["url"] for m in welcome if "link" in m] == ["/chat/privacy/"], "the English page by default"
    assert not set(texts(welcome)) & set(texts(answer)), "the answer does not repeat the welcome"
    assert not set(texts(welcome)) & set(texts(resumed)), "a resumed session is not greeted again"


def test_emergency_replies_are_marked_urgent_and_nothing_else_is(stack: Stack) -> None:
    async def scenario() -> tuple[List[dict], List[dict]]:
        widget = Widget(stack.rasa_url, origin(stack), new_ip())
        await widget.open()
        ordinary = await widget.say("How much does it cost?")
        emergency = await widget.say("I can't breathe after my injections")
        await widget.close()
        return ordinary, emergency

    ordinary, emergency = run(scenario)
    assert emergency[0]["urgent"] is True and "911" in emergency[0]["text"]
    assert not any(m.get("urgent") for m in ordinary)


def test_per_session_limit_is_polite_and_keeps_the_emergency_instruction(stack: Stack) -> None:
    async def scenario() -> tuple[str, List[str]]:
        widget = Widget(stack.rasa_url, origin(stack), new_ip())
        session = await widget.open()
        for _ in range(PER_SENDER):
            await widget.say("hello")
        seen = texts(await widget.say("how much does it cost?"))
        seen += texts(await widget.say("my throat is swelling and I can't breathe"))
        await widget.close()
        return session, seen

    session, seen = run(scenario)
    assert seen == [LIMITED_REPLY, domain_responses()["utter_emergency"]]
    assert eventually(lambda: len(user_events(stack, session)) == PER_SENDER)
    time.sleep(1)
    assert len(user_events(stack, session)) == PER_SENDER, "refused messages never reached Rasa"


def test_per_ip_limit_spans_sessions(stack: Stack) -> None:
    address = new_ip()

    async def scenario() -> List[str]:
        widgets = [Widget(stack.rasa_url, origin(stack), address) for _ in range(3)]
        for widget in widgets:
            await widget.open()
        for number in range(PER_IP):
            assert texts(await widgets[number % 2].say("")) == [EMPTY_REPLY]
        seen = texts(await widgets[2].say("hello"))
        for widget in widgets:
            await widget.close()
        return seen

    assert run(scenario) == [LIMITED_REPLY]


@pytest.mark.parametrize("packet", [b"6", b"2", b"0{}"], ids=["noop", "ping", "open"])
def test_a_packet_the_client_may_not_send_is_refused_at_once(stack: Stack, packet: bytes) -> None:
    """Stock Engine.IO closes the session, then holds this POST until a poll that never comes."""
    base = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    with httpx.Client(timeout=10, headers={"Origin": origin(stack)}) as http:
        sid = re.search(r'"sid":"([^"]+)"', http.get(base).text)
        assert sid
        url = f"{base}&sid={sid.group(1)}"
        started = time.monotonic()
        refused_post = http.post(url, content=packet)
        assert refused_post.status_code == 400
        assert time.monotonic() - started < 5
        assert http.post(url, content=b"40").status_code == 400, "the session is closed"
        assert http.get(f"{stack.rasa_url}/healthz/").status_code == 200


def test_a_closed_session_is_refused_not_an_error(stack: Stack) -> None:
    """After the client's close packet (or a ping timeout, as when a phone sleeps) Engine.IO
    still holds the closed session and raised KeyError for the next POST: a 500."""
    base = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    with httpx.Client(timeout=10, headers={"Origin": origin(stack)}) as http:
        sid = re.search(r'"sid":"([^"]+)"', http.get(base).text)
        assert sid
        url = f"{base}&sid={sid.group(1)}"
        assert http.post(url, content=b"1").status_code == 200  # the client closes
        for packet in (b'42["user_uttered",{"message":"hi"}]', b"1", b"3"):
            late = http.post(url, content=packet)
            assert late.status_code == 400, (packet, late.status_code, late.text[:80])
        assert http.get(f"{stack.rasa_url}/healthz/").status_code == 200


def test_oversized_packets_are_refused_and_the_server_stays_healthy(stack: Stack) -> None:
    base = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    with httpx.Client(timeout=30, headers={"Origin": origin(stack)}) as http:
        handshake = http.get(base)
        sid = re.search(r'"sid":"([^"]+)"', handshake.text)
        assert sid, handshake.text
        url = f"{base}&sid={sid.group(1)}"
        big = http.post(url, content=b"4" + b"x" * (100 * 1024))  # over the 64 KB packet cap
        assert big.status_code == 413, "at once: Engine.IO alone would hang this request"
        huge = http.post(url, content=b"4" + b"x" * (2 * 1024 * 1024))  # over the server's body cap
        assert huge.status_code == 413
        assert http.get(f"{stack.rasa_url}/healthz/").status_code == 200
