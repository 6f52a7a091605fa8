"""Actions that answer questions from the facts file."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.messaging import send
from meso.content import answers
from meso.content.facts import FactBook
from meso.content.phrases import say
from meso.content.respond import Answer, respond
from meso.language import answer_language
from meso.replies import Reply
from meso.review.answer_counts import ANSWERED, DECLINED

# Questions already explained by a disclosure's reply are not answered again.
EXPLAINED_TOPICS = frozenset({"contraindications", "age_limit"})
# Intents that are not a question about mesotherapy as far as the classifier can
# tell: still answered when the answer index is sure, else the topic menu.
UNSURE_INTENTS = {"out_of_scope": "outside_scope", "nlu_fallback": "not_understood"}  # keys of meso.content.phrases


def language_of(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot); before it is set, the latest
    message's likely language."""
    return answer_language(tracker.get_slot("language"), tracker.latest_message.get("text") or "")


def book_of(tracker: Tracker) -> FactBook:
    """The facts book in the conversation's language."""
    return services.facts_in(language_of(tracker))


def _count(tracker: Tracker, book: FactBook, answer: Answer) -> None:
    """Counts the turn for the dashboard: the answered topic, and each declined question."""
    counts, channel = services.answer_counts(), tracker.get_latest_input_channel() or "unknown"
    language = tracker.get_slot("language") or "en"
    first = book.get(answer.facts[0]) if answer.facts else None
    if first is not None:
        counts.add(ANSWERED, first.topic, channel, language)
    if answer.declined:
        counts.add(DECLINED, "", channel, language, len(answer.declined))


async def _record_declined(tracker: Tracker, answer: Answer) -> None:
    """Keeps each declined question for the staff's report (in a thread: the write
    must not hold up other conversations)."""
    store = services.unanswered()
    channel = tracker.get_latest_input_channel() or "unknown"
    for declined in answer.declined:
        closest = declined.decision.closest
        await asyncio.to_thread(
            store.record,
            conversation_id=tracker.sender_id,
            channel=channel,
            text=declined.text,
            language=language_of(tracker),
            not_covered_id=declined.decision.key if declined.decision.outcome == "not_covered" else None,
            closest=closest.entry.key if closest else None,
            confidence=declined.decision.confidence,
        )


def _answer_events(tracker: Tracker, answer: Answer) -> List[EventType]:
    given = list(tracker.get_slot("facts_given") or [])
    events: List[EventType] = [SlotSet("callback_offered", answer.offers_callback)]
    if answer.facts:
        events.append(SlotSet("facts_given", (given + [f for f in answer.facts if f not in given])[-50:]))
    if answer.last_topic:
        events.append(SlotSet("last_topic", answer.last_topic))
    return events


def _answer_message(tracker: Tracker) -> Tuple[FactBook, Answer]:
    """The facts book of the conversation's language and the answer to the latest message."""
    book = book_of(tracker)
    text = tracker.latest_message.get("text") or ""
    return book, respond(text, book, services.answer_index(book), services.clinic())


async def _deliver(dispatcher: CollectingDispatcher, tracker: Tracker, book: FactBook, answer: Answer) -> List[EventType]:
    """Sends the answer, records what it declined and counts it for the dashboard."""
    send(dispatcher, tracker, answer.reply)
    await _record_declined(tracker, answer)
    _count(tracker, book, answer)
    return _answer_events(tracker, answer)


def _matched_nothing(answer: Answer) -> bool:
    """No fact given and no known subject declined: the index recognised nothing."""
    return not answer.facts and not any(d.subject for d in answer.declined)


async def answer_latest(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Answers the latest message's questions; records what it declined."""
    book, answer = _answer_message(tracker)
    intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
    if intent in UNSURE_INTENTS and _matched_nothing(answer):
        send(dispatcher, tracker, answers.topic_menu(book, say(UNSURE_INTENTS[intent], book.language)))
        return []
    return await _deliver(dispatcher, tracker, book, answer)


async def answer_unconfirmed_disclosure(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """A message the classifier took for a disclosure and the risk screen did not:
    what the facts answer, or (when nothing matches) an offer of staff."""
    book, answer = _answer_message(tracker)
    if not _matched_nothing(answer):
        return await _deliver(dispatcher, tracker, book, answer)
    advice = say("personal_advice", book.language)
    send(dispatcher, tracker, Reply(text=advice, sms=advice, buttons=answers.callback_buttons(book.language)))
    return [SlotSet("callback_offered", True)]


async def answer_besides_disclosure(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """After a disclosure's reply: the message's other questions, when it asked any
    the facts answer (who-should-not-have-it facts were just explained)."""
    book, answer = _answer_message(tracker)
    facts = [book.get(f) for f in answer.facts]
    if not answer.facts or any(f is not None and f.topic in EXPLAINED_TOPICS for f in facts):
        return []
    if answer.declined:
        return []
    send(dispatcher, tracker, answer.reply)
    return _answer_events(tracker, answer)[1:]


class ActionAnswer(Action):
    """Answers each question of the latest message, or says plainly it doesn't know."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "tell_more":
            book, given = book_of(tracker), list(tracker.get_slot("facts_given") or [])
            topic = tracker.get_slot("last_topic")
            send(dispatcher, tracker, answers.more_about(book, topic, given))
            new = [fact.id for fact in answers.remaining_facts(book, topic, given)]
            return [SlotSet("facts_given", given + new)] if new else []
        return await answer_latest(dispatcher, tracker)


class ActionOfferTopics(Action):
    """Offers the topics it can help with (capabilities, out of scope, unclear)."""

    def name(self) -> str:
        return "action_offer_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = str((tracker.latest_message.get("intent") or {}).get("name") or "")
        book = book_of(tracker)
        if services.answer_index(book).named(tracker.latest_message.get("text") or ""):
            # "What is Kybella?" reads like "what can you do?" but asks about a product.
            return await answer_latest(dispatcher, tracker)
        key = {"ask_capabilities": "capabilities", **UNSURE_INTENTS}.get(intent, UNSURE_INTENTS["nlu_fallback"])
        send(dispatcher, tracker, answers.topic_menu(book, say(key, book.language)))
        return []
