"""action_answer and action_offer_topics with a real Tracker, dispatcher, facts file
and SQLite store: each question gets the fact that answers it, or a plain decline."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.answers import ActionAnswer, ActionOfferTopics
from tests.actions.conftest import MakeTracker


def run(action: Any, tracker: Any) -> tuple[List[Dict[str, Any]], list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def fact_web(fact_id: str) -> str:
    fact = services.facts().get(fact_id)
    assert fact is not None, fact_id
    return fact.web


def test_every_listed_question_gets_its_own_fact(make_tracker: MakeTracker) -> None:
    book = services.facts()
    for fact in book.facts:
        question = fact.questions[0]
        messages, events = run(ActionAnswer(), make_tracker(question, "ask_question"))
        assert fact.web in messages[0]["text"], (fact.id, question)
        assert "Source:" in messages[0]["text"]
        assert SlotSet("last_topic", fact.topic) in events


def test_the_specific_fact_asked_for_is_given(make_tracker: MakeTracker) -> None:
    messages, _ = run(ActionAnswer(), make_tracker("will i bruise", "ask_question"))
    assert fact_web("recovery-bruising") in messages[0]["text"]
    assert fact_web("recovery-next-day") not in messages[0]["text"]


def test_sms_gets_the_short_text_without_sources(make_tracker: MakeTracker) -> None:
    fact = services.facts().get("cost-per-session")
    messages, _ = run(ActionAnswer(), make_tracker("how much does it cost?", "ask_question", channel="sms"))
    assert fact is not None and messages[0]["text"].startswith(fact.sms)
    assert "Source:" not in messages[0]["text"]


def test_two_questions_get_two_answers_in_order(make_tracker: MakeTracker) -> None:
    messages, _ = run(ActionAnswer(), make_tracker("How long does a session take and does it hurt?", "ask_question"))
    text = messages[0]["text"]
    assert fact_web("session-minutes") in text and fact_web("pain-afterwards") in text
    assert text.index(fact_web("session-minutes")) < text.index(fact_web("pain-afterwards"))


def test_known_unknown_is_declined_by_name_and_recorded(make_tracker: MakeTracker) -> None:
    messages, events = run(ActionAnswer(), make_tracker("When will I notice a difference?", "ask_question"))
    text = messages[0]["text"]
    assert text.startswith("I don't have information on when results show.")
    assert fact_web("recovery-next-day") not in text  # never a neighbouring fact as the answer
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_callback", "/deny"]
    assert SlotSet("callback_offered", True) in events
    [row] = services.unanswered().recent()
    assert (row.conversation_id, row.channel, row.not_covered_id) == ("patient-1", "rest", "results-timeline")
    assert row.text == "When will I notice a difference?"


def test_related_fact_is_labelled_as_related(make_tracker: MakeTracker) -> None:
    messages, _ = run(ActionAnswer(), make_tracker("how many sessions will I need?", "ask_question"))
    text = messages[0]["text"]
    assert text.startswith("I don't have information on how many sessions a patient needs.")
    assert f"What I can tell you about number of sessions: {fact_web('sessions-several-areas')}" in text


def test_unrelated_question_is_declined_plainly(make_tracker: MakeTracker) -> None:
    messages, events = run(ActionAnswer(), make_tracker("what colour is the waiting room carpet", "ask_question"))
    text = messages[0]["text"]
    assert text.startswith("I don't have information on that")
    assert "Source:" not in text
    assert SlotSet("callback_offered", True) in events
    assert len(services.unanswered().recent()) == 1


def test_answered_question_is_not_recorded(make_tracker: MakeTracker) -> None:
    run(ActionAnswer(), make_tracker("how big are the needles", "ask_question"))
    assert services.unanswered().recent() == []


def test_tell_more_gives_the_facts_not_given_yet(make_tracker: MakeTracker) -> None:
    slots = {"last_topic": "recovery", "facts_given": ["recovery-bruising"]}
    messages, events = run(ActionAnswer(), make_tracker("more", "tell_more", slots=slots))
    text = messages[0]["text"]
    assert fact_web("recovery-next-day") in text and fact_web("recovery-bruising") not in text
    assert SlotSet("facts_given", ["recovery-bruising", "recovery-next-day", "recovery-24-hours"]) in events


def test_clinic_phone_is_never_invented(make_tracker: MakeTracker, monkeypatch: Any) -> None:
    monkeypatch.delenv("CLINIC_PHONE")
    services.clinic.cache_clear()
    messages, _ = run(ActionAnswer(), make_tracker("what's your phone number?", "ask_question"))
    assert "555" not in messages[0]["text"]
    assert "don't have the clinic's phone number" in messages[0]["text"]


def test_clinic_phone_is_given_when_configured(make_tracker: MakeTracker) -> None:
    messages, _ = run(ActionAnswer(), make_tracker("what's your phone number?", "ask_question"))
    assert "(818) 555-0100" in messages[0]["text"]


def test_topics_menu_buttons_ask_questions_the_facts_answer(make_tracker: MakeTracker) -> None:
    book = services.facts()
    listed = {question for fact in book.facts for question in fact.questions}
    messages, _ = run(ActionOfferTopics(), make_tracker("??", "nlu_fallback"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads and all(p in listed for p in payloads)


def test_a_product_asked_about_like_a_capability_is_declined_by_name(make_tracker: MakeTracker) -> None:
    messages, events = run(ActionOfferTopics(), make_tracker("What is Sculptra?", "ask_capabilities"))
    assert messages[0]["text"].startswith("I don't have information on Sculptra")
    assert SlotSet("callback_offered", True) in events
    menu, _ = run(ActionOfferTopics(), make_tracker("what can you do?", "ask_capabilities"))
    assert not menu[0]["text"].startswith("I don't have information")
