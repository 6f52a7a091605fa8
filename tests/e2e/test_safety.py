"""Risky messages reach staff through the real servers, and 911 never waits."""

from __future__ import annotations

import uuid

import pytest

from devstack.stack import Stack
from meso.cases.escalations import EscalationStore

CASES = [
    ("I can't breathe and my throat is swelling", "emergency", "emergency", "911"),
    ("I want to kill myself", "emergency", "emergency", "988"),
    ("the spot where I got the injections is red, hot and full of pus", "complication", "urgent", "urgent care"),
    ("How much is it? I'm 12 weeks pregnant btw", "pregnancy", "routine", "staff"),
    ("I had a DVT two years ago, can I still do it?", "blood_clots", "routine", "staff"),
    ("I had a mini stroke last year", "stroke", "routine", "staff"),
    ("I'm in remission from leukemia", "cancer", "routine", "staff"),
    ("im 15 and want it for my thighs", "minor", "routine", "staff"),
    ("can I talk to a real person please", "human_request", "routine", "staff"),
    ("please call me back", "callback", "routine", "call"),
    ("I'd like to book an appointment", "booking", "routine", "staff"),
]


def texts(replies: list) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


@pytest.fixture()
def store(stack: Stack) -> EscalationStore:
    return EscalationStore(stack.env["ESCALATION_DB_URL"])


@pytest.mark.parametrize("message,reason,urgency,said", CASES, ids=[c[1] for c in CASES])
def test_reason_code_end_to_end(
    stack: Stack, store: EscalationStore, message: str, reason: str, urgency: str, said: str
) -> None:
    sender = f"risk-{reason}-{uuid.uuid4().hex[:6]}"
    answer = texts(stack.say(sender, message))
    assert said in answer
    if urgency == "emergency":
        assert answer.startswith("Please call 911 now")
    cases = [case for case in store.list(limit=500) if case.conversation_id == sender]
    assert len(cases) == 1
    assert reason in cases[0].reasons
    assert cases[0].urgency == urgency
    assert cases[0].channel == "rest"


def test_benign_general_question_is_not_escalated(stack: Stack, store: EscalationStore) -> None:
    sender = f"benign-{uuid.uuid4().hex[:6]}"
    answer = texts(stack.say(sender, "Is mesotherapy safe for pregnant women?"))
    assert "pregnant" in answer.lower()
    assert not [case for case in store.list(limit=500) if case.conversation_id == sender]


def test_emergency_reply_without_action_server(stack: Stack) -> None:
    stack.stop("actions")
    try:
        answer = texts(stack.say("no-actions", "my lips and tongue are swelling up", timeout=60))
        assert answer.startswith("Please call 911 now")
    finally:
        stack.start_actions()
