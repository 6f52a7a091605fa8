"""Escalation actions with a real Tracker, dispatcher and SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List

import pytest
import sqlalchemy as sa
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.escalation import (
    ActionCallbackDeclined,
    ActionHandleRisk,
    ActionRequestContact,
    ActionSubmitCallback,
    ValidateCallbackForm,
    normalise_phone,
)
from tests.actions.conftest import MakeTracker


def run(action: Any, tracker: Any) -> tuple[List[Dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def said(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def risk(reasons: List[str], urgency: str, classified: str = "ask_question") -> Dict[str, Any]:
    return {"reasons": reasons, "urgency": urgency, "crisis": False, "findings": [], "classified_intent": classified}


def cases() -> list:
    return services.escalations().store.list(limit=100)


def test_disclosure_is_recorded_then_explained(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("how much? I'm 12 weeks pregnant", "risk_disclosure", risk=risk(["pregnancy"], "routine"))
    messages, events = run(ActionHandleRisk(), tracker)
    [case] = cases()
    assert (case.reasons, case.urgency, case.status) == (("pregnancy",), "routine", "open")
    assert "pregnant" in case.message
    text = said(messages)
    assert "member of staff will review" in text
    assert services.facts().for_topic("cost")[0].web in text  # the question is still answered
    assert SlotSet("contraindicated", True) in events
    assert SlotSet("callback_offered", True) in events


def test_minor_gets_the_age_limit_explained(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("im 15", "risk_disclosure", risk=risk(["minor"], "routine", "risk_disclosure"))
    messages, _ = run(ActionHandleRisk(), tracker)
    assert services.facts().for_topic("age_limit")[0].web in said(messages)


def use_alert_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "http://127.0.0.1:9/alerts")
    services.settings.cache_clear()
    services.escalations.cache_clear()


def outbox_rows() -> int:
    with services.escalations().store.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT COUNT(*) FROM outbox")).scalar() or 0)


def test_emergency_with_an_alert_channel_says_staff_are_alerted(
    make_tracker: MakeTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_alert_webhook(monkeypatch)
    tracker = make_tracker("can't breathe", "emergency", risk=risk(["emergency"], "emergency", "emergency"))
    messages, _ = run(ActionHandleRisk(), tracker)
    assert "I've alerted the clinic's staff" in said(messages)
    assert cases()[0].urgency == "emergency"
    assert outbox_rows() == 1  # the alert the reply speaks of is queued


def test_emergency_without_an_alert_channel_promises_only_the_queue(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("can't breathe", "emergency", risk=risk(["emergency"], "emergency", "emergency"))
    messages, _ = run(ActionHandleRisk(), tracker)
    assert "alerted" not in said(messages)
    assert "added your message to the clinic staff's queue" in said(messages)
    assert cases()[0].urgency == "emergency"
    assert outbox_rows() == 0


def test_complication_reply_matches_the_alert_channel(
    make_tracker: MakeTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = make_tracker("pus at the injection site", "risk_disclosure", risk=risk(["complication"], "urgent"))
    messages, _ = run(ActionHandleRisk(), tracker)
    assert "staff's queue" in said(messages) and "alerted" not in said(messages)
    use_alert_webhook(monkeypatch)
    messages, _ = run(ActionHandleRisk(), make_tracker("pus", "risk_disclosure", risk=risk(["complication"], "urgent"), sender="p2"))
    assert "I've alerted the clinic's staff" in said(messages)


def test_classifier_only_emergency_raises_a_case_without_911_now(make_tracker: MakeTracker) -> None:
    unconfirmed = {**risk([], None, "emergency"), "unconfirmed": "emergency"}  # type: ignore[arg-type]
    messages, _ = run(ActionHandleRisk(), make_tracker("emergency", "risk_disclosure", risk=unconfirmed))
    text = said(messages)
    assert "call 911 now" not in text.lower() and "urgent care" not in text
    assert "If you are having an emergency, call 911." in text and "988" not in text
    [case] = cases()
    assert (case.reasons, case.urgency) == (("possible_emergency",), "urgent")


def test_classifier_only_crisis_mentions_988(make_tracker: MakeTracker) -> None:
    unconfirmed = {**risk([], None, "crisis"), "unconfirmed": "crisis"}  # type: ignore[arg-type]
    messages, _ = run(ActionHandleRisk(), make_tracker("i'm done with everything", "risk_disclosure", risk=unconfirmed))
    assert "988" in said(messages) and "call 911 now" not in said(messages).lower()


def test_the_same_turn_is_recorded_once(make_tracker: MakeTracker) -> None:
    keyed = {**risk(["complication"], "urgent"), "turn": "0123abcd"}
    for _ in range(2):
        run(ActionHandleRisk(), make_tracker("pus where I had the shots", "risk_disclosure", risk=keyed))
    [case] = cases()
    events = services.escalations().store.events(case.id)
    assert [event.kind for event in events] == ["created"]


def test_complication_advises_urgent_care(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("pus at the injection site", "risk_disclosure", risk=risk(["complication"], "urgent"))
    messages, _ = run(ActionHandleRisk(), tracker)
    assert "urgent care" in said(messages)
    assert "(818) 555-0100" in said(messages)
    assert cases()[0].urgency == "urgent"


def test_database_down_gives_the_phone_number_not_a_promise(
    make_tracker: MakeTracker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("ESCALATION_DB_URL", f"sqlite:///{blocker / 'escalations.db'}")
    services.settings.cache_clear()
    services.escalations.cache_clear()
    tracker = make_tracker("I had a stroke", "risk_disclosure", risk=risk(["stroke"], "routine", "risk_disclosure"))
    messages, events = run(ActionHandleRisk(), tracker)
    assert "(818) 555-0100" in said(messages)
    assert "will review" not in said(messages)
    assert SlotSet("callback_offered", False) in events
    assert services.escalations().pending() == 1  # spooled, not lost


def test_unsure_disclosure_offers_staff(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("i have a condition", "risk_disclosure", risk=risk([], None, "risk_disclosure"))  # type: ignore[arg-type]
    messages, events = run(ActionHandleRisk(), tracker)
    assert messages[0]["buttons"]
    assert SlotSet("callback_offered", True) in events


def test_contact_request_then_details_then_submit(make_tracker: MakeTracker) -> None:
    messages, _ = run(ActionRequestContact(), make_tracker("call me back", "request_callback"))
    assert "call you back" in said(messages)
    slots = {"contact_name": "Ana Diaz", "contact_phone": "+18185550123", "contact_time": "mornings", "contact_consent": True}
    messages, events = run(ActionSubmitCallback(), make_tracker("yes", "affirm", slots=slots))
    [case] = cases()
    assert case.reasons == ("callback",)
    assert case.contact is not None and case.contact.phone == "+18185550123" and case.contact.consent
    assert "+18185550123" in said(messages)
    assert SlotSet("contact_name", None) in events


def test_booking_after_a_disclosure_is_not_encouraged(make_tracker: MakeTracker) -> None:
    tracker = make_tracker("book me in", "book_appointment", slots={"contraindicated": True})
    messages, _ = run(ActionRequestContact(), tracker)
    assert "before anything is booked" in said(messages)


def test_declining_is_recorded_without_details(make_tracker: MakeTracker) -> None:
    run(ActionRequestContact(), make_tracker("a human please", "request_human"))
    run(ActionCallbackDeclined(), make_tracker("stop", "stop"))
    [case] = cases()
    assert case.contact is not None and case.contact.consent is False and case.contact.phone is None


@pytest.mark.parametrize(
    "typed,expected",
    [("818 555 0123", "+18185550123"), ("(818) 555-0123", "+18185550123"), ("+44 20 7946 0958", "+442079460958"), ("12345", None), ("call me", None)],
)
def test_phone_numbers_are_validated(typed: str, expected: Any) -> None:
    assert normalise_phone(typed) == expected


def test_form_rejects_a_bad_phone_with_a_clear_message(make_tracker: MakeTracker) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("abc", "out_of_scope")
    result = asyncio.run(ValidateCallbackForm().validate_contact_phone("abc", dispatcher, tracker, {}))
    assert result == {"contact_phone": None}
    assert "phone number" in dispatcher.messages[0]["text"]


def test_a_question_instead_of_a_name_is_answered_and_the_name_asked_again(make_tracker: MakeTracker) -> None:
    dispatcher = CollectingDispatcher()
    text = "wait, how big are the needles?"
    tracker = make_tracker(text, "ask_question")
    result = asyncio.run(ValidateCallbackForm().validate_contact_name(text, dispatcher, tracker, {}))
    assert result == {"contact_name": None}
    needles = services.facts().get("needles-size")
    assert needles is not None and needles.web in dispatcher.messages[0]["text"]


def test_a_name_classified_as_a_question_is_still_a_name(make_tracker: MakeTracker) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("Maria Lopez", "ask_question")
    result = asyncio.run(ValidateCallbackForm().validate_contact_name("Maria Lopez", dispatcher, tracker, {}))
    assert result == {"contact_name": "Maria Lopez"}
    assert dispatcher.messages == []
