"""Actions that hand risky conversations and contact requests to staff."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import services
from actions.answers import answer_besides_disclosure, answer_latest, answer_unconfirmed_disclosure
from actions.messaging import send
from meso.cases import handoff
from meso.cases.escalations import Contact
from meso.cases.spool import RecordOutcome
from meso.content import answers
from meso.content.phrases import say
from meso.content.respond import looks_like_question
from meso.language import LANGUAGE_WORDS, answer_language, preferred_language
from meso.replies import Button, Reply
from meso.text import clean_text

logger = logging.getLogger(__name__)

CONTACT_REASONS = {
    "request_human": "human_request",
    "request_callback": "callback",
    "book_appointment": "booking",
}
CONTACT_SLOTS = ("contact_name", "contact_phone", "contact_time", "contact_consent")
# Topics whose facts explain each contraindication to the patient.
EXPLAINING_TOPIC = {"minor": "age_limit"}


def _intent(tracker: Tracker) -> Optional[str]:
    return (tracker.latest_message.get("intent") or {}).get("name")


async def _record(
    tracker: Tracker, urgency: str, reasons: List[str], key: Optional[str] = None
) -> RecordOutcome:
    """Records an escalation; `.stored` only when the database has committed it.

    The write (and its commit to disk) runs in a thread: the action server's event
    loop keeps serving other conversations meanwhile. `key` identifies the patient's
    message, so a case the Rasa server already recorded during an outage is not doubled.
    """
    return await asyncio.to_thread(
        services.escalations().record,
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel() or "unknown",
        urgency=urgency,
        reasons=reasons,
        message=clean_text(tracker.latest_message.get("text") or ""),
        key=key,
        language=_language(tracker),
    )


def _handoff(outcome: RecordOutcome, urgency: str) -> str:
    return handoff.handoff_state(outcome, urgency, services.escalations().store.alert_channels)


async def _attach_contact(tracker: Tracker, contact: Contact) -> bool:
    """Attaches call-back details to the conversation's case, in a thread (see `_record`)."""
    return bool(await asyncio.to_thread(services.escalations().attach_contact, tracker.sender_id, contact))


def _language(tracker: Tracker) -> str:
    """The conversation's language (the `language` slot); before it is set, the latest
    message's likely language."""
    return answer_language(tracker.get_slot("language"), tracker.latest_message.get("text") or "")


def _phone_fallback(tracker: Optional[Tracker] = None) -> str:
    return services.clinic().contact_sentence(_language(tracker) if tracker else "en")


def _say(dispatcher: CollectingDispatcher, tracker: Tracker, text: str, **kwargs: Any) -> None:
    send(dispatcher, tracker, Reply(text=text, sms=text, **kwargs))


class ActionHandleRisk(Action):
    """Escalates what the risk screen found and tells the patient what happens."""

    def name(self) -> str:
        return "action_handle_risk"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        risk = tracker.latest_message.get("risk") or {}
        case = handoff.case_for(risk)
        if case is None:
            # The classifier read a disclosure the screen did not find: the question is
            # answered like any other, or staff are offered.
            return await answer_unconfirmed_disclosure(dispatcher, tracker)

        urgency, reasons = case
        outcome = await _record(tracker, urgency, reasons, handoff.turn_key(risk))
        state = _handoff(outcome, urgency)
        language = _language(tracker)
        if reasons == [handoff.POSSIBLE_EMERGENCY]:
            crisis = risk.get("unconfirmed") == "crisis"
            _say(dispatcher, tracker, handoff.unconfirmed_reply(state, _phone_fallback(tracker), crisis, language))
            if looks_like_question(tracker.latest_message.get("text") or ""):
                return await answer_besides_disclosure(dispatcher, tracker)  # what the facts answer
            return []
        if urgency == "emergency":
            # The 911 (and 988) instruction came first, as a domain response.
            _say(dispatcher, tracker, handoff.emergency_follow_up(state, _phone_fallback(tracker), language))
            return []
        if urgency == "urgent":
            _say(dispatcher, tracker, say("complication", language, contact=_phone_fallback(tracker)))
            sentence = handoff.staff_sentence(state, language)
            if sentence:
                _say(dispatcher, tracker, sentence)
            return []
        return await self._explain_contraindication(dispatcher, tracker, reasons, outcome.stored)

    async def _explain_contraindication(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, reasons: List[str], stored: bool
    ) -> List[EventType]:
        language = _language(tracker)
        book = services.facts_in(language)
        topics = sorted({EXPLAINING_TOPIC.get(reason, "contraindications") for reason in reasons})
        facts = [fact for topic in topics for fact in book.for_topic(topic)[:1]]
        explanation = answers.facts_reply(facts, book)
        buttons: Tuple[Button, ...] = ()
        if stored:
            follow_up = say("disclosure_review", language)
            buttons = answers.callback_buttons(language)
        else:
            follow_up = say("disclosure_talk", language, contact=_phone_fallback(tracker))
        thanks = say("disclosure_thanks", language)
        send(
            dispatcher,
            tracker,
            Reply(
                text=f"{thanks} {explanation.text} {follow_up}",
                sms=f"{thanks} {explanation.sms} {follow_up}",
                sources=explanation.sources,
                buttons=buttons,
            ),
        )
        events: List[EventType] = [SlotSet("contraindicated", True), SlotSet("callback_offered", stored)]
        if (tracker.latest_message.get("risk") or {}).get("classified_intent") == "ask_question":
            events += await answer_besides_disclosure(dispatcher, tracker)
        return events


class ActionRequestContact(Action):
    """Records a request for a person, a call back or a booking, then asks details."""

    def name(self) -> str:
        return "action_request_contact"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        intent = _intent(tracker) or ""
        reason = CONTACT_REASONS.get(intent, "callback")
        stored = (await _record(tracker, "routine", [reason])).stored
        language = _language(tracker)
        if reason == "booking":
            lead = say("booking_after_disclosure" if tracker.get_slot("contraindicated") else "booking", language)
        elif reason == "human_request":
            lead = say("human_request", language)
        else:
            lead = say("callback", language)
        if not stored:
            lead = say("contact_not_stored", language, lead=lead, contact=_phone_fallback(tracker))
        _say(dispatcher, tracker, say("contact_will_ask", language, lead=lead))
        return [SlotSet("contact_reason", reason), SlotSet("callback_offered", False)]


NAME_PATTERN = re.compile(r"^[^\W\d_][^\d@/\\<>]{0,79}$", re.UNICODE)


def normalise_phone(text: str) -> Optional[str]:
    """A dialable number (+<digits>) from what the patient typed, or None."""
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("+") and 8 <= len(digits) <= 15:
        return f"+{digits}"
    if len(digits) == 10:
        return f"+1{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"+{digits}"
    return None


async def _answered_instead(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """A question typed where a call-back detail was asked for gets its answer (then
    the form asks for the detail again); True when it was one."""
    text = tracker.latest_message.get("text") or ""
    if _intent(tracker) != "ask_question" or not looks_like_question(text):
        return False
    await answer_latest(dispatcher, tracker)
    return True


class ValidateCallbackForm(FormValidationAction):
    """Validates the call-back details; a question instead of a detail is answered."""

    def name(self) -> str:
        return "validate_callback_form"

    async def validate_contact_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if await _answered_instead(dispatcher, tracker):
            return {"contact_name": None}
        name = clean_text(str(value or ""), max_len=80).strip()
        if name and NAME_PATTERN.match(name):
            return {"contact_name": name}
        _say(dispatcher, tracker, say("bad_name", _language(tracker)))
        return {"contact_name": None}

    async def validate_contact_phone(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if await _answered_instead(dispatcher, tracker):
            return {"contact_phone": None}
        phone = normalise_phone(str(value or ""))
        if phone:
            return {"contact_phone": phone}
        _say(dispatcher, tracker, say("bad_phone", _language(tracker)))
        return {"contact_phone": None}

    async def validate_contact_time(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        if await _answered_instead(dispatcher, tracker):
            return {"contact_time": None}
        when = clean_text(str(value or ""), max_len=100).strip()
        if when:
            return {"contact_time": when}
        _say(dispatcher, tracker, say("bad_time", _language(tracker)))
        return {"contact_time": None}


def _reset_contact() -> List[EventType]:
    return [SlotSet(slot, None) for slot in CONTACT_SLOTS] + [SlotSet("callback_offered", False)]


class ActionSubmitCallback(Action):
    """Attaches the collected details to the patient's case."""

    def name(self) -> str:
        return "action_submit_callback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        consent = bool(tracker.get_slot("contact_consent"))
        language = _language(tracker)
        preferred = preferred_language(tracker.get_slot("contact_time"), language)
        contact = Contact(
            name=tracker.get_slot("contact_name"),
            phone=tracker.get_slot("contact_phone") if consent else None,
            preferred_time=tracker.get_slot("contact_time"),
            consent=consent,
            language=preferred,
        )
        saved = await _attach_contact(tracker, contact)
        if not saved:
            _say(dispatcher, tracker, say("details_not_saved", language, contact=_phone_fallback(tracker)))
        elif consent:
            _say(
                dispatcher,
                tracker,
                say(
                    "callback_confirmed", language, name=str(contact.name), phone=str(contact.phone),
                    time=str(contact.preferred_time), spoken=LANGUAGE_WORDS[language][preferred],
                ),
            )
        else:
            _say(dispatcher, tracker, say("no_contact", language))
        return _reset_contact()


class ActionCallbackDeclined(Action):
    """The patient declined or stopped the call-back: note it, collect nothing."""

    def name(self) -> str:
        return "action_callback_declined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        await _attach_contact(tracker, Contact(name=None, phone=None, preferred_time=None, consent=False))
        _say(dispatcher, tracker, say("callback_declined", _language(tracker)))
        return _reset_contact()


class _AskContactSlot(Action):
    """Asks for one call-back detail (Rasa forms call `action_ask_<slot>`)."""

    slot = ""
    question = ""  # a key of meso.content.phrases
    yes_no = False

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        language = _language(tracker)
        buttons: Tuple[Button, ...] = ()
        if self.yes_no:
            buttons = (Button(say("yes", language), "/affirm"), Button(say("no", language), "/deny"))
        _say(dispatcher, tracker, say(self.question, language), buttons=buttons)
        return []


class ActionAskContactName(_AskContactSlot):
    slot = "contact_name"
    question = "ask_name"


class ActionAskContactPhone(_AskContactSlot):
    slot = "contact_phone"
    question = "ask_phone"


class ActionAskContactTime(_AskContactSlot):
    slot = "contact_time"
    question = "ask_time"


class ActionAskContactConsent(_AskContactSlot):
    slot = "contact_consent"
    question = "ask_consent"
    yes_no = True
