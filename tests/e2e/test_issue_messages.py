"""The messages quoted in issue 11, over REST and SMS on the real servers.

Each gets the reply its screening earns (911 first only for an emergency finding,
"urgent care" only for a complication, the kind routine reply for a disclosure) and one
case of the right reason and urgency in the staff's queue. No alert channel is
configured here (the embedded default): no reply may say staff were alerted.
"""

from __future__ import annotations

import uuid
from typing import Iterator, List

import httpx
import pytest

from devstack.stack import Stack, running_stack
from meso.cases.escalations import EscalationStore, dispose_engines
from tests.channels.test_sms_e2e import PUBLIC_URL, TOKEN, known_phone, text

MESSAGES = [  # (message, reason, urgency)
    ("There was pus in my stomach and a 10cm hole appeared... I got an injection to get rid of belly fat",
     "complication", "urgent"),
    ("my face blew up like a balloon overnight after the mesolift and my eyes are almost swollen shut",
     "complication", "urgent"),
    ("Overnight, my face swelled up like a chipmunk's ... bruising and swelling ALL OVER my face where it "
     "wasn't even treated", "complication", "urgent"),
    ("there are open sores where I had the injections last week", "complication", "urgent"),
    ("can i do this while expecting", "pregnancy", "routine"),
    ("I just found out I'm expecting, should I cancel my appointment?", "pregnancy", "routine"),
    ("I can't breathe after my injections", "emergency", "emergency"),
]
IDS = [f"{reason}-{index}" for index, (_, reason, _) in enumerate(MESSAGES)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    overrides = {"TWILIO_AUTH_TOKEN": TOKEN, "SMS_PUBLIC_URL": PUBLIC_URL, "ALERT_WEBHOOK_URL": "", "SMTP_HOST": ""}
    with running_stack(tmp_path_factory.mktemp("issue11"), overrides) as running:
        yield running


def cases_of(stack: Stack, sender: str) -> list:
    store = EscalationStore(stack.env["ESCALATION_DB_URL"], alert_channels=())
    try:
        return [case for case in store.list(limit=1000) if case.conversation_id == sender]
    finally:
        dispose_engines()


def assert_reply_fits(replies: List[str], urgency: str) -> None:
    said = " ".join(replies)
    assert "alerted" not in said, replies  # nobody is alerted without an alert channel
    if urgency == "emergency":
        assert replies[0].startswith("Please call 911 now"), replies
        assert "staff's queue" in said, replies
    else:
        assert "call 911 now" not in said.lower(), replies
    if urgency == "urgent":
        assert "urgent care" in said and "staff's queue" in said, replies
    if urgency == "routine":
        assert said.startswith("Thank you for telling me") and "urgent care" not in said, replies


@pytest.mark.parametrize("message,reason,urgency", MESSAGES, ids=IDS)
def test_over_rest(stack: Stack, message: str, reason: str, urgency: str) -> None:
    sender = f"issue11-{uuid.uuid4().hex[:8]}"
    replies = [reply.get("text", "") for reply in stack.say(sender, message)]
    assert_reply_fits(replies, urgency)
    [case] = cases_of(stack, sender)
    assert (case.reasons, case.urgency, case.channel) == ((reason,), urgency, "rest")


@pytest.mark.parametrize("message,reason,urgency", MESSAGES, ids=IDS)
def test_over_sms(stack: Stack, message: str, reason: str, urgency: str) -> None:
    phone = known_phone(stack)  # its welcome is behind it
    replies = text(stack, message, phone)
    assert_reply_fits(replies, urgency)
    [case] = cases_of(stack, phone)
    assert (case.reasons, case.urgency, case.channel) == ((reason,), urgency, "sms")


def test_classifier_only_emergency_is_a_case_not_911(stack: Stack) -> None:
    sender = f"issue11-{uuid.uuid4().hex[:8]}"
    # The classifier is trained to read this as a crisis; the screen finds no crisis term.
    replies = [reply.get("text", "") for reply in stack.say(sender, "i just want to disappear")]
    said = " ".join(replies)
    assert "call 911 now" not in said.lower() and "988" in said, replies
    [case] = cases_of(stack, sender)
    assert (case.reasons, case.urgency) == (("possible_emergency",), "urgent")


def test_health_shows_the_missing_alert_channel(stack: Stack) -> None:
    report = httpx.get(f"{stack.rasa_url}/healthz/", timeout=30).json()
    assert report["alerts"]["configured"] is False
    assert "No alert channel configured" in report["alerts"]["warning"]
