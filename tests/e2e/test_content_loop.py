"""The content loop end to end on the embedded default (SQLite), in Debian's Chromium.

A patient asks a question the facts do not answer; a staff member finds it on the
unanswered page, adds its wording to the fact that answers it and sends the draft for
review; a clinician approves it; the same question typed into the chat widget (its page
open in the same browser) gets the fact on screen within 2 s of the approval, and over
REST too (both times are printed). The staff member could not approve, and the
clinician's approval set reviewed_by. Refreshes docs/img/staff-dashboard.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict

import pyotp
import sqlalchemy as sa

from devstack.stack import running_stack
from meso.content.facts import load_facts
from meso.settings import PROJECT_ROOT
from tests.support.browser import chromium
from tests.support.content_loop import FACT, PASSWORD, QUESTION, staff_accounts, texts, wait_for_answer
from tests.support.staff_server import start_staff
from tests.support.widget import WELCOME_COUNT

SCREENSHOT = PROJECT_ROOT / "docs" / "img" / "staff-dashboard.png"
ANSWER = load_facts(PROJECT_ROOT / "facts" / "facts.yml").get(FACT).web  # type: ignore[union-attr]


def sign_in(page: Any, base: str, username: str, key: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/mfa")
    page.fill("#code", pyotp.TOTP(key).now())
    page.click("#verify")
    page.wait_for_url(f"{base}/")


def sign_out(page: Any, base: str) -> None:
    page.click(".signout button")
    page.wait_for_url(f"{base}/login?m=signed_out")


def open_widget(page: Any, rasa_url: str) -> None:
    """The chat page, the widget opened and its welcome shown."""
    page.goto(f"{rasa_url}/chat/")
    page.locator(".mc-launcher").click()
    page.wait_for_function(f"() => document.querySelectorAll('.mc-log .mc-bot').length >= {WELCOME_COUNT}")


def ask_in_widget(page: Any, question: str) -> str:
    """Types `question` into the widget; returns the text shown after it once it is answered
    (the fact, or the decline that the unchanged facts give)."""
    before = page.locator(".mc-log .mc-msg").count()
    page.locator(".mc-input").fill(question)
    page.locator(".mc-input").press("Enter")
    page.wait_for_function(
        """([before, answer]) => {
          const added = [...document.querySelectorAll('.mc-log .mc-msg')].slice(before + 1);
          const text = added.map(m => m.innerText).join(' ');
          return text.includes(answer) || text.includes("don't have");
        }""",
        arg=[before, ANSWER[:60]],
        timeout=30_000,
    )
    return " ".join(page.locator(".mc-log .mc-msg").all_inner_texts()[before + 1 :])


def test_unanswered_question_goes_live_after_a_clinicians_approval(tmp_path: Path) -> None:
    with running_stack(tmp_path / "stack", widget_page_origin=True) as stack:
        url = stack.env["ESCALATION_DB_URL"]
        keys: Dict[str, str] = staff_accounts(url, {"nurse": "staff", "drp": "clinician"})
        console = start_staff(stack.env, tmp_path / "staff.log", {})
        base = console.url
        try:
            before = texts(stack.say("patient-1", QUESTION))
            assert ANSWER not in before and "don't have" in before.lower()
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1360, "height": 1000})
                dialogs: list = []
                page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())

                sign_in(page, base, "nurse", keys["nurse"])
                page.click("nav >> text=Unanswered")
                group = page.locator("section.group", has_text=QUESTION)
                assert group.locator(".group-count").inner_text() == "1"
                group.locator("select[name=fact_id]").select_option(FACT)
                group.locator("text=Add these wordings to the fact").click()
                page.wait_for_url(f"{base}/facts/versions/*")
                assert f"+- {QUESTION}" in page.locator("pre.diff").inner_text()
                page.click("text=Send for review")
                assert page.locator(".version-status").inner_text() == "in review"
                assert page.locator("text=Approve and publish").count() == 0  # staff do not publish
                version_url = page.url.split("?")[0]
                sign_out(page, base)

                # A patient has the chat open in another tab, and asks again once it is approved.
                patient = browser.new_page(viewport={"width": 390, "height": 844})
                open_widget(patient, stack.rasa_url)
                assert ANSWER not in ask_in_widget(patient, QUESTION)

                sign_in(page, base, "drp", keys["drp"])
                page.click("nav >> text=Facts")
                page.click(f"text=Open {FACT} version 2")
                assert page.url.split("?")[0] == version_url
                started = time.monotonic()
                page.click("text=Approve and publish")
                page.wait_for_url(f"{version_url}?done=approve")
                assert page.locator(".version-status").inner_text() == "published"
                wait_for_answer(lambda: ask_in_widget(patient, QUESTION), ANSWER)
                on_screen = time.monotonic() - started  # from the approval click
                wait_for_answer(lambda: texts(stack.say("patient-2", QUESTION)), ANSWER)
                over_rest = time.monotonic() - started
                print(f"\napproval to live answer (SQLite, one Rasa server): widget {on_screen:.2f} s, REST {over_rest:.2f} s")
                assert on_screen < 2.0, f"the approved answer took {on_screen:.2f} s to reach the widget's screen"
                assert over_rest < 2.0, f"the approved answer took {over_rest:.2f} s over REST"

                deadline = time.monotonic() + 10  # the action server writes its counts every 2 s
                while True:
                    page.goto(f"{base}/dashboard")
                    totals = {
                        name: int(page.locator(f"[data-total={name}]").inner_text())
                        for name in ("answered", "declined", "escalated")
                    }
                    if totals["answered"] >= 1 or time.monotonic() > deadline:
                        break
                    time.sleep(0.5)
                assert totals["answered"] >= 1 and totals["declined"] >= 1
                assert page.locator("svg.chart").count() == 5 and QUESTION not in page.content()
                SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SCREENSHOT), full_page=True)
                assert not dialogs
        finally:
            console.stop()
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            reviewed = connection.execute(
                sa.text("SELECT reviewer, status FROM fact_versions WHERE fact_id = :f ORDER BY number"), {"f": FACT}
            ).all()
            actions = [row.action for row in connection.execute(sa.text("SELECT action FROM audit_log ORDER BY id"))]
        engine.dispose()
        assert [tuple(row) for row in reviewed][-1] == ("drp", "published")
        assert {"unanswered.view", "unanswered.mark", "fact.save", "fact.submit", "fact.approve"} <= set(actions)
