"""The console in a real browser (Debian's Chromium, headless) against the real app on uvicorn.

Enrols the second factor (QR code drawn by the console, key typed from the page, code
computed by pyotp as an authenticator app would), reads the queue, opens a transcript,
claims and resolves a case, signs out; no JavaScript dialog may fire for the XSS
payloads. Then the second factor's paths: a wrong code, a replayed code, a recovery code
(once only) and an administrator's reset. The console runs on a fake clock that the test
moves by 30 s where a person would wait for the next code. Also refreshes the README
screenshots docs/img/staff-queue.png and docs/img/staff-enrol.png from fake data.
Every console page passes an axe-core audit (WCAG 2.1 AA) at desktop and phone sizes.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Any, Iterator, List, Tuple

import pyotp
import pytest
import uvicorn

from meso.accounts.audit import AuditLog
from meso.accounts.users import StaffUserStore
from meso.cases.escalations import Contact, EscalationStore
from meso.settings import Settings
from staff import manage
from staff.app import create_app
from staff.seed import seed_demo, tracker_rows, write_tracker_rows
from tests.staff.conftest import FAST_HASHER, HOSTILE_MESSAGE, IMG, SCRIPT, FakeClock, make_settings
from tests.support.axe import assert_accessible
from tests.support.browser import chromium

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"
SCREENSHOT = IMAGES / "staff-queue.png"
ENROL_SCREENSHOT = IMAGES / "staff-enrol.png"
PASSWORD = "browser-test-password"
Console = Tuple[str, Settings, FakeClock]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[Console]:
    """The console on uvicorn, on a free loopback port, with fake demo data and a fake clock."""
    settings = make_settings(tmp_path)
    StaffUserStore(settings.escalation_url).create("nurse", PASSWORD, "staff")
    seed_demo(settings)
    clock = FakeClock()
    port = _free_port()
    app = create_app(settings, clock=clock, password_hasher=FAST_HASHER)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start on uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", settings, clock
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _page(browser: Any, base: str, dialogs: List[str], errors: List[str]) -> Any:
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    # Only the console itself may be contacted: no network beyond loopback.
    page.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
    )
    return page


def _password(page: Any, base: str, expected: str, username: str = "nurse") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{expected}")


def _enrol(page: Any, base: str, clock: FakeClock, screenshot: bool = False) -> Tuple[str, List[str]]:
    """Enrols on /mfa/enrol as a person with an authenticator app; returns key and recovery codes."""
    qr = page.locator("img.qr")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100")  # drawn, and allowed by the CSP
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    secret = page.locator("#secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    if screenshot:
        page.screenshot(path=str(ENROL_SCREENSHOT), full_page=True)
    page.fill("#code", pyotp.TOTP(secret).at(clock()))
    page.click("#confirm")
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "shown only" in page.content()
    page.click("#continue")
    page.wait_for_url(f"{base}/")
    return secret, codes


def _sign_out(page: Any, base: str) -> None:
    page.click(".signout button")
    page.wait_for_url(f"{base}/login?m=signed_out")


def test_staff_workflow_in_chromium(console: Console) -> None:
    base, settings, clock = console
    dialogs: List[str] = []
    errors: List[str] = []
    with chromium() as browser:
        page = _page(browser, base, dialogs, errors)

        # Signed out: the queue sends us to the sign-in form; the password alone leads
        # to enrolment of the second factor, not to the queue.
        page.goto(f"{base}/")
        assert page.url == f"{base}/login"
        _password(page, base, "/mfa/enrol")
        page.goto(f"{base}/")
        assert page.url == f"{base}/mfa/enrol"  # pending: the queue is not reachable
        IMAGES.mkdir(parents=True, exist_ok=True)
        _enrol(page, base, clock, screenshot=True)

        # The queue: emergency first, labelled in text as well as colour.
        rows = page.locator("table.queue tbody tr")
        assert rows.count() == 6
        first = rows.nth(0)
        assert "urgency-emergency" in (first.get_attribute("class") or "")
        assert first.locator(".badge").inner_text() == "EMERGENCY"
        assert "URGENT" in rows.nth(1).inner_text()
        assert "Jordan Sample" in rows.nth(1).inner_text()
        assert page.locator(".count.urgency-emergency .count-value").inner_text() == "1"
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        # A hostile case arrives: its payloads must stay text.
        hostile = _add_hostile_case(settings)
        page.reload()
        assert page.locator("table.queue tbody tr").count() == 7
        assert SCRIPT in page.locator(f"tr[data-case='{hostile}'] .message").inner_text()
        page.click(f"tr[data-case='{hostile}'] a.open-case")
        page.wait_for_url(f"{base}/escalations/{hostile}")
        trigger = page.locator(".turn-trigger .turn-text")
        assert IMG in trigger.inner_text() and "\u202e" not in trigger.inner_text()
        assert page.locator("img").count() == 0 and page.locator("script").count() == 0

        # Open the urgent demo case, read its transcript, claim and resolve it.
        page.goto(f"{base}/")
        page.locator("table.queue tbody tr").nth(1).locator("a.open-case").click()
        assert page.locator(".turn").count() == 4
        assert "leaking" in page.locator(".turn-trigger .turn-text").inner_text()
        assert page.locator(".turn-trigger .flag").inner_text() == "Flagged: opened this case"
        page.click("#claim")
        assert page.locator(".notice").inner_text() == "You claimed this case."
        assert "claimed" in page.locator(".history").inner_text()
        page.select_option("#outcome", "Called back, question answered")
        page.fill("#comment", "advised warm compresses, review Thursday")
        page.click("#resolve")
        assert page.locator(".notice").inner_text() == "Case resolved."
        assert page.locator(".status").inner_text() == "resolved"
        assert page.locator("#resolve").count() == 0

        # Sign out: the session is gone, the queue is closed again.
        page.click(".signout button")
        page.wait_for_url(f"{base}/login?m=signed_out")
        assert "You are signed out." in page.content()
        page.goto(f"{base}/")
        assert page.url == f"{base}/login"
    assert dialogs == [], f"a JavaScript dialog fired: {dialogs}"
    assert errors == [], f"page errors or CSP violations: {errors}"
    assert SCREENSHOT.stat().st_size > 10_000 and ENROL_SCREENSHOT.stat().st_size > 10_000


def test_second_factor_in_chromium(console: Console) -> None:
    base, settings, clock = console
    dialogs: List[str] = []
    errors: List[str] = []
    with chromium() as browser:
        page = _page(browser, base, dialogs, errors)
        _password(page, base, "/mfa/enrol")
        secret, recovery = _enrol(page, base, clock)
        enrol_code = pyotp.TOTP(secret).at(clock())
        _sign_out(page, base)

        # A wrong code, then the code already used for enrolment (same 30 s step): both refused.
        _password(page, base, "/mfa")
        wrong = f"{(int(enrol_code) + 1) % 1_000_000:06d}"
        for code, message in ((wrong, "Wrong code"), (enrol_code, "already used")):
            page.fill("#code", code)
            page.click("#verify")
            assert message in page.locator(".error").inner_text()
            assert page.url == f"{base}/mfa"
        page.goto(f"{base}/")
        assert page.url == f"{base}/mfa"

        # The next code, 30 s later, opens the queue.
        clock.advance(seconds=30)
        page.fill("#code", pyotp.TOTP(secret).at(clock()))
        page.click("#verify")
        page.wait_for_url(f"{base}/")
        assert page.locator("table.queue tbody tr").count() == 6
        _sign_out(page, base)

        # A recovery code works once.
        for attempt in range(2):
            _password(page, base, "/mfa")
            page.click(".recovery summary")
            page.fill("#recovery_code", recovery[3].upper())
            page.click("#use-recovery")
            if attempt == 0:
                page.wait_for_url(f"{base}/")
                _sign_out(page, base)
            else:
                assert "already used" in page.locator(".error").inner_text()
                assert page.url == f"{base}/mfa/recovery"

        # An administrator resets the second factor: the session ends, enrolment starts again
        # with a new key, and the old key's codes no longer count.
        clock.advance(seconds=30)
        page.fill("#code", pyotp.TOTP(secret).at(clock()))
        page.click("#verify")
        page.wait_for_url(f"{base}/")
        assert manage.run(["reset-mfa", "nurse"], settings=settings) == 0
        page.reload()
        assert page.url == f"{base}/login?m=expired"
        _password(page, base, "/mfa/enrol")
        new_secret, _ = _enrol(page, base, clock)
        assert new_secret != secret
    # The refused codes are answered 401, which Chromium reports; nothing else may appear.
    refused = "Failed to load resource: the server responded with a status of 401 (Unauthorized)"
    assert dialogs == [] and [error for error in errors if error != refused] == [], (dialogs, errors)
    assert errors.count(refused) == 3
    actions = [entry.action for entry in AuditLog(settings.escalation_url).entries(limit=1000)]
    for action in ("mfa.enrolled", "mfa.failed", "mfa.replayed", "mfa.recovery_used", "mfa.reset", "login"):
        assert action in actions, action
    assert actions.count("mfa.enrolled") == 2 and actions.count("mfa.recovery_used") == 1


def _add_hostile_case(settings: Settings) -> int:
    """A case whose message and contact carry XSS payloads."""
    store = EscalationStore(settings.escalation_url, alert_channels=())
    case = store.record(
        "hostile-1",
        "socketio",
        "routine",
        ("human_request",),
        HOSTILE_MESSAGE,
        Contact(f"{IMG}", None, None, None),
    )
    rows = tracker_rows(
        "hostile-1",
        "socketio",
        [("patient", HOSTILE_MESSAGE, "request_human"), ("assistant", "ok", "utter_ok")],
        case.created_at,
    )
    write_tracker_rows(settings.tracker_url, rows)
    return case.id


def test_every_console_page_passes_axe(console: Console) -> None:
    """Sign-in, second factor, queue, case, audit, facts, a fact's editor, unanswered
    questions and dashboard: no WCAG 2.1 A/AA or best-practice violation, at desktop and
    phone sizes."""
    base, settings, clock = console
    StaffUserStore(settings.escalation_url).create("boss", PASSWORD, "admin")  # the audit log is admins'
    secret = ""
    with chromium() as browser:
        for number, viewport in enumerate(({"width": 1360, "height": 900}, {"width": 390, "height": 844})):
            context = browser.new_context(viewport=viewport, bypass_csp=True)  # bypass: to inject axe
            page = context.new_page()
            size = f"at {viewport['width']}px"
            page.goto(f"{base}/login")
            assert_accessible(page, f"on the sign-in page {size}")
            _password(page, base, "/mfa/enrol" if number == 0 else "/mfa", username="boss")
            if number == 0:
                assert_accessible(page, f"on the enrolment page {size}")
                secret, _ = _enrol(page, base, clock)
            else:
                assert_accessible(page, f"on the code page {size}")
                clock.advance(seconds=30)
                page.fill("#code", pyotp.TOTP(secret).at(clock()))
                page.click("#verify")
                page.wait_for_url(f"{base}/")
            assert_accessible(page, f"on the queue {size}")
            page.locator("table.queue tbody tr").nth(1).locator("a.open-case").click()
            page.wait_for_url(re.compile(r".*/escalations/\d+$"))
            assert_accessible(page, f"on a case page {size}")
            for path in ("/audit", "/facts", "/facts/new", "/unanswered", "/dashboard"):
                response = page.goto(f"{base}{path}")
                assert response is not None and response.ok, path
                assert_accessible(page, f"on {path} {size}")
            context.close()
