"""action_answer and action_offer_topics with a real Tracker and dispatcher."""

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


def test_answers_each_topic_from_the_facts(make_tracker: MakeTracker) -> None:
    book = services.facts()
    for topic in book.topics:
        messages, events = run(ActionAnswer(), make_tracker("q", f"ask_{topic}"))
        first = book.for_topic(topic)[0]
        assert first.web in messages[0]["text"], topic
        assert "Source:" in messages[0]["text"]
        assert SlotSet("last_topic", topic) in events


def test_sms_gets_the_short_text_without_sources(make_tracker: MakeTracker) -> None:
    first = services.facts().for_topic("cost")[0]
    messages, _ = run(ActionAnswer(), make_tracker("cost?", "ask_cost", channel="sms"))
    assert messages[0]["text"].startswith(first.sms)
    assert "Source:" not in messages[0]["text"]


def test_second_topic_in_ranking_is_answered_too(make_tracker: MakeTracker) -> None:
    book = services.facts()
    ranking = [{"name": "ask_session_length", "confidence": 0.5}, {"name": "ask_pain", "confidence": 0.35}]
    messages, _ = run(ActionAnswer(), make_tracker("how long and does it hurt", "ask_session_length", ranking=ranking))
    assert book.for_topic("session_length")[0].web in messages[0]["text"]
    assert book.for_topic("pain")[0].web in messages[0]["text"]


def test_weak_second_topic_is_ignored(make_tracker: MakeTracker) -> None:
    book = services.facts()
    ranking = [{"name": "ask_cost", "confidence": 0.9}, {"name": "ask_pain", "confidence": 0.05}]
    messages, _ = run(ActionAnswer(), make_tracker("cost", "ask_cost", ranking=ranking))
    assert book.for_topic("pain")[0].web not in messages[0]["text"]


def test_body_area_entity_narrows_the_answer(make_tracker: MakeTracker) -> None:
    chin = services.facts().for_topic("areas", "chin")[0]
    entities = [{"entity": "body_area", "value": "chin", "start": 0, "end": 4}]
    messages, _ = run(ActionAnswer(), make_tracker("chin?", "ask_areas", entities=entities))
    assert chin.web in messages[0]["text"]


def test_not_covered_never_invents(make_tracker: MakeTracker) -> None:
    messages, events = run(ActionAnswer(), make_tracker("does insurance pay", "ask_not_covered"))
    assert messages[0]["text"].startswith("I don't have that information")
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/request_callback", "/deny"]
    assert SlotSet("callback_offered", True) in events


def test_tell_more_continues_the_last_topic(make_tracker: MakeTracker) -> None:
    book = services.facts()
    topic = max(book.topics, key=lambda t: len(book.for_topic(t)))
    messages, _ = run(ActionAnswer(), make_tracker("more", "tell_more", slots={"last_topic": topic}))
    assert book.for_topic(topic)[2].web in messages[0]["text"]


def test_clinic_answer_does_not_invent_a_phone_number(make_tracker: MakeTracker, monkeypatch: Any) -> None:
    monkeypatch.delenv("CLINIC_PHONE")
    services.clinic.cache_clear()
    messages, _ = run(ActionAnswer(), make_tracker("phone number?", "ask_clinic"))
    assert "555" not in messages[0]["text"]
    assert "don't have" in messages[0]["text"]


def test_topics_menu_buttons_ask_real_topics(make_tracker: MakeTracker) -> None:
    book = services.facts()
    messages, _ = run(ActionOfferTopics(), make_tracker("??", "nlu_fallback"))
    payloads = [b["payload"] for b in messages[0]["buttons"]]
    assert payloads and all(p[len("/ask_"):] in book.topics for p in payloads)
