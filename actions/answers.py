"""Actions that answer questions from the facts file."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.messaging import send
from meso import answers

UNANSWERABLE_INTENTS = {"ask_not_covered"}


def latest_area(tracker: Tracker) -> Optional[str]:
    """The body area named in the latest message, if any."""
    return next(tracker.get_latest_entity_values("body_area"), None)


class ActionAnswer(Action):
    """Answers the topic(s) of the latest question, or says it doesn't know."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        book = services.facts()
        message = tracker.latest_message
        intent = (message.get("intent") or {}).get("name")
        if intent == "tell_more":
            send(dispatcher, tracker, answers.more_about(book, tracker.get_slot("last_topic")))
            return []
        if intent in UNANSWERABLE_INTENTS:
            send(dispatcher, tracker, answers.not_covered())
            return [SlotSet("callback_offered", True)]
        topics = answers.asked_topics(
            intent, message.get("intent_ranking") or [], book, message.get("clauses") or []
        )
        if not topics:
            send(dispatcher, tracker, answers.topic_menu(book, "I'm not sure which topic you mean. I can help with:"))
            return []
        reply = answers.answer(book, topics, latest_area(tracker), services.clinic())
        send(dispatcher, tracker, reply)
        return [SlotSet("last_topic", topics[-1]), SlotSet("callback_offered", False)]


class ActionOfferTopics(Action):
    """Offers the topics it can help with (capabilities, out of scope, unclear)."""

    def name(self) -> str:
        return "action_offer_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        lead = {
            "ask_capabilities": "I can answer questions about mesotherapy from information the clinic has reviewed, and pass your request to staff. Popular topics:",
            "out_of_scope": "Sorry, that's outside what I can help with. I answer questions about mesotherapy, for example:",
        }.get(intent, "Sorry, I didn't quite understand. Could you rephrase, or pick a topic?")
        send(dispatcher, tracker, answers.topic_menu(services.facts(), lead))
        return []
