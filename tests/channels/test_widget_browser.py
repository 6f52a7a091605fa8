"""The chat widget in a real browser (Debian's chromium, headless) against the real Rasa
server serving /chat/: what a patient sees, in order, at phone and desktop sizes, with
an axe-core audit at every step; keyboard use, reduced motion, 200% zoom and the page's
CSP; plus the socket.io channel's origin and session checks.

Refreshes the README screenshot docs/img/chat-widget.png.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterator, List

import httpx
import pytest
import socketio
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from devstack.stack import Stack, running_stack
from meso.content.facts import default_facts_path, load_facts
from meso.content.spanish import SPANISH_FILE, load_spanish
from meso.guard.hygiene import EMPTY_REPLY
from meso.guard.refusals import domain_responses
from tests.support.axe import assert_accessible
from tests.support.browser import chromium
from tests.support.widget import WELCOME_COUNT

EVIL_ORIGIN = "http://evil.example"
TIMEOUT_MS = 90_000  # generous: the test machine is shared
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "chat-widget.png"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ZOOMED = {"width": 640, "height": 400}  # the desktop window at 200% zoom
EMERGENCY = "I can't breathe after my injections"
EMERGENCY_VISIBLE_WITHIN_S = 1.0
# The emergency reply's first words (the welcome also says "call 911", as a notice).
CALL_911 = domain_responses()["utter_emergency"].split(".")[0]
MEASURED: Dict[str, float] = {}  # printed at the end of the module, for the closing note

# Test instrumentation only: when each bot message arrives on the socket, and when each
# message element is first on screen inside the conversation.
TIMING_SCRIPT = """
(() => {
  window.__arrivals = [];
  window.__shown = [];
  let wrapped;
  Object.defineProperty(window, "io", {
    configurable: true,
    get() { return wrapped; },
    set(real) {
      wrapped = function () {
        const socket = real.apply(this, arguments);
        socket.onAny((event, message) => {
          if (event === "bot_uttered") {
            window.__arrivals.push({t: performance.now(), text: (message && message.text) || ""});
          }
        });
        return socket;
      };
    },
  });
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!node.classList || !node.classList.contains("mc-msg")) continue;
        const check = () => {
          const box = node.getBoundingClientRect();
          const log = node.parentElement && node.parentElement.getBoundingClientRect();
          const onScreen = box.height > 0 && log && box.top < log.bottom && box.bottom > log.top
            && box.top < window.innerHeight && box.bottom > 0;
          if (onScreen) window.__shown.push({t: performance.now(), text: node.innerText});
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      }
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("widget_stack"), widget_page_origin=True) as running:
        yield running
    if MEASURED:
        print("\nwidget timings (s):", {key: round(value, 3) for key, value in MEASURED.items()})


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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


# --- what the patient sees ------------------------------------------------------------


def shown(page: Any) -> List[tuple[str, str]]:
    """The conversation as shown, in order: ("bot" | "user", visible text)."""
    return [
        ("user" if "mc-user" in item["cls"] else "bot", squash(item["text"]))
        for item in page.evaluate(
            "() => [...document.querySelectorAll('.mc-log .mc-msg')]"
            ".map(m => ({cls: m.className, text: m.querySelector('.mc-text').innerText}))"
        )
    ]


def wait_for_bot(page: Any, after: int, text: str) -> List[tuple[str, str]]:
    """Waits for a bot message containing `text` after the first `after` messages; returns those."""
    try:
        page.wait_for_function(
            """([after, t]) => [...document.querySelectorAll('.mc-log .mc-msg')].slice(after)
                 .some(m => m.classList.contains('mc-bot') && m.innerText.replace(/\\s+/g, ' ').includes(t))""",
            arg=[after, text],
            timeout=TIMEOUT_MS,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"{text!r} not shown; the widget shows: {shown(page)[after:]}") from None
    return shown(page)[after:]


def settled(page: Any, quiet_s: float = 0.7) -> int:
    """Waits until no message has been added for `quiet_s` (a reply comes as several
    bubbles: the fact, then its source); returns the number of messages shown."""
    count, since = len(shown(page)), time.monotonic()
    deadline = since + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        page.wait_for_timeout(100)
        now = len(shown(page))
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return count
    raise AssertionError(f"the conversation never settled: {shown(page)[-3:]}")


def ask(page: Any, question: str, expect: str, you: str = "You: ") -> List[tuple[str, str]]:
    """Types `question` once the previous reply is complete, presses Enter, waits for a
    reply with `expect`; returns what was added."""
    before = settled(page)
    page.locator(".mc-input").fill(question)
    page.locator(".mc-input").press("Enter")
    added = wait_for_bot(page, before, expect)
    assert added[0] == ("user", f"{you}{question}"), added
    return added


def choose(page: Any, title: str, expect: str, you: str = "You: ") -> List[tuple[str, str]]:
    """Picks the reply button `title` with the keyboard once the previous reply is
    complete; waits for a reply with `expect`."""
    before = settled(page)
    button = page.get_by_role("button", name=title, exact=True)
    button.focus()
    page.keyboard.press("Enter")
    added = wait_for_bot(page, before, expect)
    assert added[0] == ("user", f"{you}{title}"), added
    return added


def open_with_keyboard(page: Any) -> None:
    """Tab to the launcher, Enter: the chat opens and the input has focus."""
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('mc-launcher')"):
            break
    else:
        raise AssertionError("Tab never reached the launcher")
    page.keyboard.press("Enter")
    page.locator(".mc-panel").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert page.evaluate("() => document.activeElement.classList.contains('mc-input')")


def session_id(page: Any) -> str:
    return page.evaluate("() => JSON.parse(sessionStorage.getItem('meso_chat')).session_id")


def emergency_timing(page: Any) -> tuple[float, float]:
    """Seconds from the 911 reply's arrival on the socket to its being on screen, and the arrival time."""
    try:
        page.wait_for_function("m => window.__shown.some(s => s.text.includes(m))", arg=CALL_911, timeout=5000)
    except PlaywrightTimeout:
        raise AssertionError("the 911 reply is in the page but never came on screen") from None
    timing = page.evaluate(
        """mark => {
          const arrived = window.__arrivals.filter(a => a.text.includes(mark)).pop();
          const seen = window.__shown.filter(s => s.text.includes(mark)).pop();
          return arrived && seen ? [(seen.t - arrived.t) / 1000, arrived.t / 1000] : null;
        }""",
        CALL_911,
    )
    assert timing, "the 911 reply's arrival and display were both recorded"
    return timing[0], timing[1]


# --- the patient's first minute ---------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_patients_first_minute(stack: Stack, browser: Any, viewport: Dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # bypass: to inject axe
    context.add_init_script(TIMING_SCRIPT)
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.rasa_url}/chat/")
    assert "San Fernando Medical Center" in page.title()
    page.locator(".mc-launcher").wait_for(timeout=TIMEOUT_MS)
    assert page.get_by_role("button", name="Chat with our assistant").count() == 1
    assert_accessible(page, "with the widget closed")

    # Opening: the welcome, and nothing else, first.
    open_with_keyboard(page)
    welcome = wait_for_bot(page, 0, "How we use your messages")
    assert len(welcome) == WELCOME_COUNT and all(who == "bot" for who, _ in welcome), welcome
    assert "automated assistant of San Fernando Medical Center, not a person" in welcome[0][1]
    assert "Not for emergencies" in welcome[1][1] and "call 911" in welcome[1][1]
    assert "Pick a topic" in welcome[2][1] and "kept for 90 days" in welcome[3][1]
    topics = page.locator(".mc-replies").first.get_by_role("button")
    assert topics.count() >= 4 and "How much does it cost?" in topics.all_inner_texts()
    privacy = page.locator(".mc-log").get_by_role("link", name=re.compile("How we use your messages"))
    assert privacy.get_attribute("href") == f"{stack.rasa_url}/chat/privacy/"
    assert EMPTY_REPLY not in page.inner_text(".mc-log")
    assert_accessible(page, "with the widget open")
    if viewport == DESKTOP:
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    # A topic button, then a typed question: answers from the facts.
    answer = choose(page, "How much does it cost?", first_cost_fact())
    assert answer[1][0] == "bot" and answer[1][1].startswith(f"Assistant: {first_cost_fact()}"), answer
    assert page.locator(".mc-replies").count() == 0, "old buttons go once the patient answers"
    ask(page, "Is it painful?", "pain")

    # An unanswerable question: an honest decline and the offer of a call back.
    decline = ask(page, "Does insurance cover it?", "I don't have information on")
    assert decline[1][0] == "bot"
    assert_accessible(page, "with reply buttons")

    # The call-back form through to the confirmation.
    choose(page, "Yes, call me back", "What name should the staff member ask for?")
    assert "/request_callback" not in page.inner_text(".mc-log")
    ask(page, "Sam Lee", "phone number")
    ask(page, "818 555 0172", "good time")
    consent = ask(page, "thursday evening", "agree that the clinic may contact you")
    if page.get_by_role("button", name="Yes", exact=True).count():
        confirmation = choose(page, "Yes", "will call you at")
    else:
        confirmation = ask(page, "yes", "will call you at")
    assert consent and confirmation[-1][0] == "bot"
    assert_accessible(page, "after the call-back form")

    # An emergency right behind an ordinary question: 911 on screen at once.
    box = page.locator(".mc-input")
    box.fill("How much does it cost?")
    box.press("Enter")
    box.fill(EMERGENCY)
    sent = page.evaluate("() => performance.now() / 1000")
    before = len(shown(page))
    box.press("Enter")
    wait_for_bot(page, before, CALL_911)
    display_delay, arrived = emergency_timing(page)
    seen_at = page.evaluate("m => window.__shown.filter(s => s.text.includes(m)).pop().t / 1000", CALL_911)
    name = viewport["width"]
    MEASURED[f"911 arrival to on screen, {name}px"] = display_delay
    MEASURED[f"911 sent to on screen (server time included), {name}px"] = seen_at - sent
    MEASURED[f"911 server reply time, {name}px"] = arrived - sent
    assert display_delay < EMERGENCY_VISIBLE_WITHIN_S, f"911 shown {display_delay:.2f} s after it arrived"
    urgent = page.locator(".mc-urgent")
    assert urgent.count() == 1 and urgent.get_attribute("role") == "alert"
    assert CALL_911 in urgent.inner_text()
    assert_accessible(page, "after an emergency")

    # A reload keeps the conversation, in order, without a second welcome.
    before, history = session_id(page), shown(page)
    page.reload()
    page.locator(".mc-panel").wait_for(state="visible", timeout=TIMEOUT_MS)
    assert shown(page) == history
    ask(page, "thank you", "")
    assert session_id(page) == before, "the signed session id was accepted again"
    assert sum("not a person" in text for _, text in shown(page)) == 1
    assert_accessible(page, "after a reload")

    # Esc closes the chat and gives focus back to the launcher.
    page.locator(".mc-input").focus()
    page.keyboard.press("Escape")
    assert page.locator(".mc-panel").is_hidden()
    assert page.evaluate("() => document.activeElement.classList.contains('mc-launcher')")
    assert errors == [], errors
    context.close()

    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        channels = {
            row[0]
            for row in db.execute(
                "SELECT DISTINCT json_extract(data, '$.input_channel') FROM events "
                "WHERE sender_id = ? AND type_name = 'user'",
                (before,),
            )
        }
    assert channels == {"socketio"}


def test_a_spanish_patients_conversation(stack: Stack, browser: Any) -> None:
    """/chat/es/: the page, the widget and the welcome in Spanish, then a question, a
    follow-up, a disclosure and an emergency, each answered in Spanish."""
    english = load_facts(default_facts_path())
    spanish = load_spanish(default_facts_path().parent / SPANISH_FILE, english)
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # bypass: to inject axe
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.rasa_url}/chat/")
    page.get_by_role("link", name="En español").click()
    page.wait_for_url(f"{stack.rasa_url}/chat/es/")
    assert page.evaluate("() => document.documentElement.lang") == "es"
    assert page.title() == "Preguntas sobre la mesoterapia | San Fernando Medical Center"
    assert "No es para emergencias." in page.inner_text("main")
    launcher = page.get_by_role("button", name="Chatee con nuestro asistente")
    assert launcher.count() == 1
    assert_accessible(page, "on the Spanish page, the widget closed")

    launcher.click()
    assert page.locator(".mc-input").get_attribute("placeholder") == "Pregunte sobre la mesoterapia"
    assert page.get_by_role("button", name="Enviar").count() == 1
    welcome = wait_for_bot(page, 0, "Cómo usamos sus mensajes")
    assert len(welcome) == WELCOME_COUNT and all(who == "bot" for who, _ in welcome), welcome
    assert welcome[0][1].startswith("Asistente: ¡Hola! Soy el asistente automático de San Fernando Medical Center")
    assert "No es para emergencias" in welcome[1][1] and "llame al 911 ahora" in welcome[1][1]
    assert "Elija un tema" in welcome[2][1] and "se guarda 90 días" in welcome[3][1]
    privacy = page.locator(".mc-log").get_by_role("link", name=re.compile("Cómo usamos sus mensajes"))
    assert privacy.get_attribute("href") == f"{stack.rasa_url}/chat/es/privacy/"
    assert_accessible(page, "with the Spanish widget open")

    # A topic button, then a follow-up: the Spanish texts of the facts.
    cost = squash(spanish.for_topic("cost")[0].web)
    choose(page, "¿Cuánto cuesta?", cost, you="Usted: ")
    more = " ".join(text for _, text in ask(page, "cuénteme más", "", you="Usted: ")[1:])
    assert any(squash(fact.web) in more for fact in spanish.for_topic("cost")[1:]), more
    # A question the facts do not answer: declined plainly, in Spanish.
    ask(page, "y cuantas sesiones necesito?", "No tengo información sobre", you="Usted: ")
    # A disclosure: thanked in Spanish and explained from the Spanish facts.
    ask(page, "estoy embarazada de 12 semanas, puedo hacerme la mesoterapia?", "Gracias por decírmelo", you="Usted: ")
    # An emergency: "Llame al 911 ahora", marked urgent.
    call_911 = domain_responses("es")["utter_emergency"].split(".")[0]
    ask(page, "No puedo respirar después de las inyecciones", call_911, you="Usted: ")
    urgent = page.locator(".mc-urgent")
    assert urgent.count() == 1 and call_911 in urgent.inner_text()
    assert_accessible(page, "after a Spanish emergency")

    page.goto(privacy.get_attribute("href") or "")  # the link opens a new tab
    assert page.evaluate("() => document.documentElement.lang") == "es"
    text = squash(page.inner_text("main"))
    assert "se borran 90 días después de su último mensaje" in text
    assert "llame a San Fernando Medical Center al (818) 555-0100" in text
    assert_accessible(page, "on the Spanish privacy notice")
    page.get_by_role("link", name="Volver al chat").click()
    page.wait_for_url(f"{stack.rasa_url}/chat/es/")
    assert errors == [], errors
    context.close()


def test_the_widget_runs_under_the_pages_strict_csp(stack: Stack, browser: Any) -> None:
    """No inline script or style anywhere: the page's CSP allows only 'self'."""
    reply = httpx.get(f"{stack.rasa_url}/chat/", timeout=10)
    csp = reply.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    violations: List[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{stack.rasa_url}/chat/")
    page.locator(".mc-launcher").click()
    wait_for_bot(page, 0, "How we use your messages")
    assert page.evaluate("() => getComputedStyle(document.querySelector('.mc-panel')).position") == "fixed"
    choose(page, "What is mesotherapy?", "Source")
    page.goto(f"{stack.rasa_url}/chat/privacy/")
    assert page.locator("h1").inner_text() == "How we use your messages"
    context.close()
    assert violations == [], violations


def test_privacy_notice_states_retention_readers_and_deletion(stack: Stack, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{stack.rasa_url}/chat/privacy/")
    text = squash(page.inner_text("main"))
    assert "deleted 90 days after their last message" in text  # RETENTION_DAYS
    assert "Staff of San Fernando Medical Center" in text
    assert "call San Fernando Medical Center at (818) 555-0100" in text  # CLINIC_PHONE of the stack
    assert "not for emergencies" in text and "call 911" in text
    assert_accessible(page, "on the privacy notice")
    context.close()


def test_200_percent_zoom_and_reduced_motion(stack: Stack, browser: Any) -> None:
    context = browser.new_context(viewport=ZOOMED, bypass_csp=True, reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{stack.rasa_url}/chat/")
    page.locator(".mc-launcher").click()
    wait_for_bot(page, 0, "How we use your messages")
    layout = page.evaluate(
        """() => {
          const box = s => document.querySelector(s).getBoundingClientRect();
          const inside = r => r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
          return {
            horizontalScroll: document.documentElement.scrollWidth > innerWidth,
            panel: inside(box('.mc-panel')), input: inside(box('.mc-input')), send: inside(box('.mc-send')),
            close: inside(box('.mc-close')),
            typingAnimation: getComputedStyle(document.querySelector('.mc-typing'), '::after').animationName,
          };
        }"""
    )
    assert layout == {
        "horizontalScroll": False, "panel": True, "input": True, "send": True, "close": True,
        "typingAnimation": "none",
    }, layout
    assert_accessible(page, "at 200% zoom")
    page.locator(".mc-input").fill("How much does it cost?")
    page.locator(".mc-input").press("Enter")
    assert page.evaluate("() => document.getAnimations().length") == 0, "nothing moves"
    context.close()

    moving = browser.new_context(viewport=ZOOMED, reduced_motion="no-preference")
    page = moving.new_page()
    page.goto(f"{stack.rasa_url}/chat/")
    name = page.evaluate("() => getComputedStyle(document.querySelector('.mc-typing'), '::after').animationName")
    assert name == "mc-dots", "the typing cue moves only for readers who do not mind motion"
    moving.close()


def test_emergency_is_shown_at_once_after_a_long_answer(stack: Stack, browser: Any) -> None:
    """Queued replies never hold back the 911 reply: each is shown as it arrives."""
    context = browser.new_context(viewport=PHONE)
    context.add_init_script(TIMING_SCRIPT)
    page = context.new_page()
    page.goto(f"{stack.rasa_url}/chat/")
    page.locator(".mc-launcher").click()
    wait_for_bot(page, 0, "How we use your messages")
    for question in ("What is mesotherapy?", "Does it hurt?", EMERGENCY):
        page.locator(".mc-input").fill(question)
        page.locator(".mc-input").press("Enter")
    started = time.monotonic()
    wait_for_bot(page, WELCOME_COUNT, CALL_911)
    display_delay, _ = emergency_timing(page)
    MEASURED["911 arrival to on screen, after two queued questions"] = display_delay
    MEASURED["911 wait after the third send (server included)"] = time.monotonic() - started
    assert display_delay < EMERGENCY_VISIBLE_WITHIN_S
    context.close()


# --- the socket.io channel --------------------------------------------------------------


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
    async def scenario() -> tuple[str, str]:
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
        for _ in range(WELCOME_COUNT):
            await asyncio.wait_for(replies.get(), 30)
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


def test_widget_files_are_served_locally(stack: Stack) -> None:
    client = httpx.get(f"{stack.rasa_url}/chat/static/socket.io.min.js", timeout=10)
    assert client.status_code == 200 and "Socket" in client.text
    assert "sourceMappingURL" not in client.text, "setup drops the source map comment (no map is served)"
    for name in ("meso-chat.js", "meso-chat.css", "chat.js", "chat.css"):
        served = httpx.get(f"{stack.rasa_url}/chat/static/{name}", timeout=10)
        assert served.status_code == 200, name
        assert "https://" not in served.text and "//cdn" not in served.text, name
    page = httpx.get(f"{stack.rasa_url}/chat/", timeout=10).text
    assert "https://" not in page and "//cdn" not in page
