"""The console in a real browser (Debian's Chromium, headless) against the real app on uvicorn.

Signs in, reads the queue, opens a transcript, claims and resolves a case, signs out;
no JavaScript dialog may fire for the XSS payloads. Every console page passes an axe-core
audit (WCAG 2.1 AA). Also refreshes the README screenshot docs/img/staff-queue.png from
the fake demo data.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
import uvicorn

from meso.escalations import Contact, EscalationStore
from meso.settings import Settings
from meso.staff_users import StaffUserStore
from staff.app import create_app
from staff.seed import seed_demo, tracker_rows, write_tracker_rows
from tests.staff.conftest import HOSTILE_MESSAGE, IMG, SCRIPT, make_settings
from tests.support.axe import assert_accessible
from tests.support.browser import chromium

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "staff-queue.png"
PASSWORD = "browser-test-password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def console(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    """The console on uvicorn, on a free loopback port, with fake demo data."""
    settings = make_settings(tmp_path)
    StaffUserStore(settings.escalation_url).create("nurse", PASSWORD, "staff")
    seed_demo(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the console did not start on uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", settings
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_staff_workflow_in_chromium(console: tuple[str, Settings]) -> None:
    base, settings = console
    dialogs: List[str] = []
    errors: List[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1360, "height": 900})
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        # Only the console itself may be contacted: no network beyond loopback.
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith(base) else route.abort(),
        )

        # Signed out: the queue sends us to the sign-in form.
        page.goto(f"{base}/")
        assert page.url == f"{base}/login"
        page.fill("#username", "nurse")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")

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
    assert SCREENSHOT.stat().st_size > 10_000


def test_every_console_page_passes_axe(console: tuple[str, Settings]) -> None:
    """Sign-in, queue, case page and audit log: no WCAG 2.1 A/AA or best-practice violation."""
    base, settings = console
    StaffUserStore(settings.escalation_url).create("boss", PASSWORD, "admin")
    with chromium() as browser:
        for viewport in ({"width": 1360, "height": 900}, {"width": 390, "height": 844}):
            context = browser.new_context(viewport=viewport, bypass_csp=True)  # bypass: to inject axe
            page = context.new_page()
            page.goto(f"{base}/login")
            assert_accessible(page, f"on the sign-in page at {viewport['width']}px")
            page.fill("#username", "boss")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            assert page.locator("table.queue tbody tr").count() == 6
            assert_accessible(page, f"on the queue at {viewport['width']}px")
            page.locator("table.queue tbody tr").nth(1).locator("a.open-case").click()
            page.wait_for_url(re.compile(r".*/escalations/\d+$"))
            assert page.locator(".turn").count() == 4
            assert_accessible(page, f"on a case page at {viewport['width']}px")
            page.goto(f"{base}/audit")
            assert page.locator("h1").inner_text() == "Audit log"
            assert_accessible(page, f"on the audit log at {viewport['width']}px")
            context.close()


def _add_hostile_case(settings: Settings) -> int:
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
