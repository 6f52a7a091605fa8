"""Fake demo data for the console: cases in the escalation store and matching conversations
in a Rasa-shaped tracker store. Every name and number here is invented (555-01xx numbers
are reserved for fiction). Never point this at a production database.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from meso.cases.escalations import Contact, EscalationStore
from meso.clock import utcnow
from meso.settings import Settings
from meso.store.rasa_events import events_table, rasa_metadata
from meso.store.transcripts import sqlite_path

# (who, text, intent or utter action)
Exchange = Tuple[str, str, str]


@dataclass(frozen=True)
class DemoCase:
    """One fake escalated conversation."""

    channel: str
    urgency: str
    reasons: Tuple[str, ...]
    minutes_ago: int
    exchanges: Tuple[Exchange, ...]
    trigger: int  # index in exchanges of the patient message that opened the case
    contact: Optional[Contact] = None


DEMO_CASES: Tuple[DemoCase, ...] = (
    DemoCase(
        "sms",
        "emergency",
        ("emergency",),
        4,
        (
            ("patient", "hi, I had mesotherapy on my belly yesterday", "ask_recovery"),
            (
                "assistant",
                "Some bruising and tenderness for a few days is common after mesotherapy.",
                "utter_answer",
            ),
            ("patient", "my chest feels tight and I can't catch my breath", "emergency"),
            (
                "assistant",
                "This could be an emergency. Call 911 now. The clinic team has been alerted.",
                "utter_emergency",
            ),
        ),
        2,
    ),
    DemoCase(
        "socketio",
        "urgent",
        ("complication",),
        27,
        (
            (
                "patient",
                "The injection spots on my stomach are hot, red and leaking since Tuesday",
                "risk_disclosure",
            ),
            (
                "assistant",
                "That needs a look from the clinic. Can a nurse call you back?",
                "utter_offer_callback",
            ),
            ("patient", "yes please", "affirm"),
            (
                "assistant",
                "Thank you. A nurse will call you back as soon as possible.",
                "utter_callback_confirmed",
            ),
        ),
        0,
        Contact("Jordan Sample", "+1 818 555 0142", "this afternoon", True),
    ),
    DemoCase(
        "socketio",
        "routine",
        ("pregnancy",),
        95,
        (
            ("patient", "how many sessions do people usually need?", "ask_sessions_number"),
            (
                "assistant",
                "Most people have a series of sessions; the doctor sets the plan at the consultation.",
                "utter_answer",
            ),
            ("patient", "I might be pregnant, can I still have the fat-dissolving shots?", "risk_disclosure"),
            (
                "assistant",
                "Mesotherapy is not offered during pregnancy. A staff member will follow up.",
                "utter_contraindication",
            ),
        ),
        2,
    ),
    DemoCase(
        "sms",
        "routine",
        ("human_request", "callback"),
        180,
        (
            ("patient", "can I talk to a real person about the cost", "request_human"),
            ("assistant", "Of course. What name and number should the front desk use?", "utter_ask_contact"),
            ("patient", "Casey Demo, 818 555 0187, mornings are best", "inform"),
            ("assistant", "Thanks, Casey. The front desk will call you back.", "utter_callback_confirmed"),
        ),
        0,
        Contact("Casey Demo", "+1 818 555 0187", "mornings", True),
    ),
    DemoCase(
        "socketio",
        "routine",
        ("blood_clots",),
        60 * 26,
        (
            ("patient", "I had a blood clot in my leg two years ago, is meso ok for me?", "risk_disclosure"),
            (
                "assistant",
                "A history of blood clots needs the doctor's review first. Staff will follow up.",
                "utter_contraindication",
            ),
        ),
        0,
        Contact("Riley Placeholder", None, "evenings", False),
    ),
    DemoCase(
        "socketio",
        "routine",
        ("booking",),
        60 * 50,
        (
            ("patient", "I'd like to book a consultation for my chin", "book_appointment"),
            ("assistant", "The front desk will contact you to find a time.", "utter_booking_handoff"),
        ),
        0,
    ),
)


def _user_event(text: str, intent: str, at: float, channel: str) -> Dict[str, Any]:
    message_id = uuid.uuid4().hex
    return {
        "event": "user",
        "timestamp": at,
        "metadata": {},
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.93},
            "entities": [],
            "text": text,
            "message_id": message_id,
            "metadata": {},
            "intent_ranking": [{"name": intent, "confidence": 0.93}],
        },
        "input_channel": channel,
        "message_id": message_id,
    }


def _bot_event(text: str, utter: str, at: float) -> Dict[str, Any]:
    empty = dict.fromkeys(("elements", "quick_replies", "buttons", "attachment", "image", "custom"))
    return {"event": "bot", "timestamp": at, "metadata": {"utter_action": utter}, "text": text, "data": empty}


def _action_event(name: str, at: float) -> Dict[str, Any]:
    return {
        "event": "action",
        "timestamp": at,
        "metadata": {},
        "name": name,
        "policy": "RulePolicy",
        "confidence": 1.0,
        "action_text": None,
        "hide_rule_turn": False,
    }


def tracker_rows(
    sender_id: str, channel: str, exchanges: Sequence[Exchange], start: datetime
) -> List[Dict[str, Any]]:
    """Tracker-store rows for a conversation, shaped like Rasa 3.6's SQLTrackerStore writes them.

    Args:
        sender_id: The conversation id.
        channel: The input channel name.
        exchanges: (who, text, intent or utter action) in order.
        start: When the conversation began (aware).
    """
    at = start.timestamp()
    events: List[Dict[str, Any]] = [
        _action_event("action_session_start", at),
        {"event": "session_started", "timestamp": at, "metadata": {}},
        _action_event("action_listen", at),
    ]
    for who, text, name in exchanges:
        at += 20.0
        if who == "patient":
            events.append(_user_event(text, name, at, channel))
        else:
            events.append(_action_event(name, at))
            events.append(_bot_event(text, name, at))
            events.append(_action_event("action_listen", at))
    return [
        {
            "sender_id": sender_id,
            "type_name": event["event"],
            "timestamp": event["timestamp"],
            "intent_name": event.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": event.get("name"),
            "data": json.dumps(event),
        }
        for event in events
    ]


def write_tracker_rows(url: str, rows: Sequence[Dict[str, Any]]) -> None:
    """Appends rows to the tracker store at `url`, creating Rasa's table when missing."""
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True)
    try:
        rasa_metadata.create_all(engine, checkfirst=True)
        with engine.begin() as connection:
            if rows:
                connection.execute(events_table.insert(), list(rows))
    finally:
        engine.dispose()


def seed_demo(settings: Settings, now: Optional[datetime] = None) -> List[int]:
    """Adds the demo cases and their conversations; returns the case ids."""
    now = now or utcnow()
    store = EscalationStore(settings.escalation_url, alert_channels=())
    ids: List[int] = []
    rows: List[Dict[str, Any]] = []
    for number, case in enumerate(DEMO_CASES, start=1):
        sender = f"demo-{case.channel}-{uuid.uuid4().hex[:8]}-{number}"
        start = now - timedelta(minutes=case.minutes_ago) - timedelta(seconds=20 * case.trigger + 20)
        rows += tracker_rows(sender, case.channel, case.exchanges, start)
        created = start + timedelta(seconds=20 * (case.trigger + 1))
        escalation = store.record(
            sender,
            case.channel,
            case.urgency,
            case.reasons,
            case.exchanges[case.trigger][1],
            case.contact,
            at=created,
        )
        ids.append(escalation.id)
    write_tracker_rows(settings.tracker_url, rows)
    return ids
