"""The call-back form end to end: names, phone numbers and times are details, not risks."""

from __future__ import annotations

import uuid
from typing import List

import pytest

from devstack.stack import Stack
from meso.cases.escalations import Escalation, EscalationStore


def texts(replies: list) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def cases(stack: Stack, sender: str) -> List[Escalation]:
    store = EscalationStore(stack.env["ESCALATION_DB_URL"])
    return [case for case in store.list(limit=500) if case.conversation_id == sender]


@pytest.mark.parametrize(
    ("name", "phone", "time", "stored_phone"),
    [
        ("Maria Lopez", "818 555 0172", "thursday evening", "+18185550172"),
        ("my name is Ana", "(310) 555-0101", "around 4pm", "+13105550101"),
        ("John", "+1 626 555 0144", "whenever works", "+16265550144"),
    ],
)
def test_callback_form_collects_details_and_records_them(
    stack: Stack, name: str, phone: str, time: str, stored_phone: str
) -> None:
    sender = f"callback-{uuid.uuid4().hex[:6]}"
    assert "name" in texts(stack.say(sender, "can someone call me back?")).lower()
    assert "phone number" in texts(stack.say(sender, name)).lower()
    assert "good time" in texts(stack.say(sender, phone)).lower()
    assert "do you agree" in texts(stack.say(sender, time)).lower()
    assert "will call you at" in texts(stack.say(sender, "yes"))
    recorded = cases(stack, sender)
    assert len(recorded) == 1 and recorded[0].reasons == ("callback",)
    assert recorded[0].contact is not None
    assert recorded[0].contact.phone == stored_phone
    assert recorded[0].contact.consent is True


def test_yes_to_an_offered_call_back_starts_the_form(stack: Stack) -> None:
    sender = f"offered-{uuid.uuid4().hex[:6]}"
    assert "I don't have information on insurance coverage." in texts(stack.say(sender, "does insurance cover it?"))
    assert "name" in texts(stack.say(sender, "yes please")).lower()
    assert "phone number" in texts(stack.say(sender, "Sam Lee")).lower()
