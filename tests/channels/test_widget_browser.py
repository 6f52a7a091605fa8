"""The chat widget in a real browser (Debian's chromium, headless) against the real Rasa
server serving /chat/, plus the socket.io channel's origin and session checks."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator, List

import httpx
import pytest
import socketio
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from meso.facts import default_facts_path, load_facts
from tests.support.browser import chromium
from tests.support.stack import Stack, running_stack

EVIL_ORIGIN = "http://evil.example"
TIMEOUT_MS = 90_000  # generous: the test machine is shared


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("widget_stack"), widget_page_origin=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def run_async(coroutine: Any) -> Any:
    """Runs a coroutine in its own thread (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def squash(text: str) -> str:
    return " ".join(text.split())


def first_cost_fact() -> str:
    book = load_facts(default_facts_path())
    return squash(book.for_topic("cost")[0].web)


def send(page: object, text: str) -> None:
    box = page.locator(".rw-new-message")  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")


def wait_for_session(page: object) -> None:
    """Waits until the server confirmed the widget's session (the widget stores its id)."""
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => { const s = sessionStorage.getItem('chat_session'); return s && JSON.parse(s).session_id; }",
        timeout=TIMEOUT_MS,
    )


def wait_for_text(page: object, text: str) -> None:
    """Waits for `text` in the widget (the page itself also mentions 911)."""
    try:
        page.wait_for_function(  # type: ignore[attr-defined]
            "t => (document.querySelector('.rw-widget-container') || {innerText: ''}).innerText.replace(/\\s+/g, ' ').includes(t)",
            arg=text,
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeout:
        shown = squash(page.inner_text(".rw-widget-container"))  # type: ignore[attr-defined]
        raise AssertionError(f"{text!r} not in the widget, which shows: {shown!r}") from None


def test_widget_answers_renders_buttons_and_keeps_history(stack: Stack, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    csp_errors: List[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{stack.rasa_url}/chat/")
    assert "San Fernando Medical Center" in page.title()

    page.locator(".rw-launcher").click()
    page.locator(".rw-new-message").wait_for(state="visible", timeout=TIMEOUT_MS)
    wait_for_session(page)
    send(page, "How much does it cost?")
    wait_for_text(page, first_cost_fact())

    send(page, "I can't breathe")
    wait_for_text(page, "911")

    send(page, "Does insurance cover it?")
    button = page.locator(".rw-reply", has_text="Yes, call me back")
    button.first.wait_for(timeout=TIMEOUT_MS)
    button.first.click()
    wait_for_text(page, "What name should the staff member ask for?")
    assert "/request_callback" not in page.inner_text(".rw-widget-container")

    session_before = page.evaluate("() => JSON.parse(sessionStorage.getItem('chat_session')).session_id")
    page.reload()
    page.locator(".rw-launcher").wait_for(timeout=TIMEOUT_MS)
    try:  # the widget remembers whether it was open
        page.locator(".rw-new-message").wait_for(state="visible", timeout=3000)
    except PlaywrightTimeout:
        page.locator(".rw-launcher").click()
    wait_for_text(page, first_cost_fact())
    wait_for_text(page, "911")
    responses = page.locator(".rw-response").count()
    send(page, "thank you")
    page.wait_for_function(
        "n => document.querySelectorAll('.rw-response').length > n", arg=responses, timeout=TIMEOUT_MS
    )
    session_after = page.evaluate("() => JSON.parse(sessionStorage.getItem('chat_session')).session_id")
    assert session_after == session_before, "the signed session id was accepted again"
    assert csp_errors == [], csp_errors
    context.close()

    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        channels = {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT json_extract(data, '$.input_channel') FROM events "
                "WHERE sender_id = ? AND type_name = 'user'",
                (session_before,),
            )
        }
    assert channels == {"socketio"}


def test_unlisted_origin_handshake_is_refused(stack: Stack) -> None:
    url = f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling"
    allowed = httpx.get(url, headers={"Origin": stack.env["ALLOWED_ORIGINS"]}, timeout=10)
    assert allowed.status_code == 200 and '"sid"' in allowed.text
    refused = httpx.get(url, headers={"Origin": EVIL_ORIGIN}, timeout=10)
    assert refused.status_code == 400
    assert '"sid"' not in refused.text


def test_unlisted_origin_socketio_client_cannot_connect(stack: Stack) -> None:
    async def scenario() -> None:
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                stack.rasa_url, headers={"Origin": EVIL_ORIGIN}, transports=["polling"], wait_timeout=10
            )

    run_async(scenario())


async def _session(stack: Stack, claimed: object) -> tuple[socketio.AsyncClient, str, asyncio.Queue]:
    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
    replies: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    client.on("bot_uttered", lambda message: replies.put_nowait(message))
    await client.connect(
        stack.rasa_url,
        headers={"Origin": stack.env["ALLOWED_ORIGINS"]},
        transports=["polling"],
        wait_timeout=10,
    )
    await client.emit("session_request", {"session_id": claimed})
    return client, await asyncio.wait_for(confirmed, 10), replies


def test_forged_session_id_is_replaced_and_message_ids_are_ignored(stack: Stack) -> None:
    async def scenario() -> None:
        first, issued, _ = await _session(stack, None)
        assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{32}", issued)
        await first.disconnect()

        again, resumed, _ = await _session(stack, issued)
        assert resumed == issued, "a server-signed id is accepted back"
        await again.disconnect()

        for forged in ["victim-conversation", issued[:-1] + ("0" if issued[-1] != "0" else "1"), {"x": 1}]:
            client, granted, _ = await _session(stack, forged)
            assert granted != forged and granted != issued
            await client.disconnect()

        client, own, replies = await _session(stack, None)
        await client.emit(
            "user_uttered", {"message": "hello", "session_id": issued, "customData": {"language": "en"}}
        )
        await asyncio.wait_for(replies.get(), 30)
        await client.disconnect()
        return issued, own

    issued, own = run_async(scenario())
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        count = lambda sender: db.execute(  # noqa: E731
            "SELECT count(*) FROM events WHERE sender_id = ? AND type_name = 'user'", (sender,)
        ).fetchone()[0]
        assert count(issued) == 0, "the session_id inside a message is ignored"
        assert count(own) == 1, "the message went to the socket's own session"


def test_widget_bundle_is_served_locally(stack: Stack) -> None:
    bundle = httpx.get(f"{stack.rasa_url}/chat/static/webchat.js", timeout=10)
    assert bundle.status_code == 200 and "WebChat" in bundle.text[:2000]
    assert "fonts.googleapis.com" not in bundle.text, "setup drops the bundle's Google font import"
    page = httpx.get(f"{stack.rasa_url}/chat/", timeout=10).text
    assert "https://" not in page and "//cdn" not in page


def test_widget_needs_inline_styles_and_nothing_else(stack: Stack, browser: object) -> None:
    """Why the page's CSP has style-src 'unsafe-inline': without it the widget's styles break."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    violations: List[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)

    def strict(route: object) -> None:
        reply = route.fetch()  # type: ignore[attr-defined]
        headers = dict(reply.headers)
        headers["content-security-policy"] = headers["content-security-policy"].replace(
            " 'unsafe-inline'", ""
        )
        route.fulfill(response=reply, headers=headers)  # type: ignore[attr-defined]

    page.route(re.compile(r".*/chat/$"), strict)
    page.goto(f"{stack.rasa_url}/chat/")
    page.locator(".rw-launcher").click()
    page.wait_for_timeout(500)
    context.close()
    assert violations and all("style" in v for v in violations), violations
