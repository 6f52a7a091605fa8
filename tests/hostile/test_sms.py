"""The SMS webhook against the real servers, Twilio-signed: caps, "/" commands, cleaning,
rate limits per phone number and per source IP."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import List, Optional

import httpx
from twilio.request_validator import RequestValidator

from devstack.stack import Stack
from meso.guard.hygiene import TOO_LONG_REPLY
from meso.guard.refusals import LIMITED_REPLY, domain_responses
from meso.text import clean_text
from tests.hostile.checks import DIRTY_EMERGENCY, is_clean
from tests.hostile.conftest import PER_SENDER, SMS_PER_IP, SMS_URL, TWILIO_TOKEN, client, new_ip
from tests.support.stores import escalation_messages, slot_names, user_events

_SIDS = itertools.count(1)
_PHONES = itertools.count(1)


def new_phone() -> str:
    return f"+1747555{next(_PHONES):04d}"


def sms(stack: Stack, body: str, phone: str, ip: Optional[str] = None) -> httpx.Response:
    params = {"MessageSid": f"SM{next(_SIDS):032x}", "From": phone, "To": "+18185550199", "Body": body}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(SMS_URL, params)
    with client(ip or new_ip()) as http:
        return http.post(f"{stack.rasa_url}/webhooks/sms/webhook", data=params, headers={"X-Twilio-Signature": signature})


def messages(reply: httpx.Response) -> List[str]:
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/xml"), reply.text
    return [node.text or "" for node in ET.fromstring(reply.text).findall("Message")]  # noqa: S314 - our TwiML


def test_length_cap_and_the_emergency_inside_a_long_text(stack: Stack) -> None:
    phone = new_phone()
    assert messages(sms(stack, "how much is it? " * 80, phone)) == [TOO_LONG_REPLY]
    long_emergency = "I had mesotherapy yesterday. " * 40 + "Now I can't breathe."
    assert messages(sms(stack, long_emergency, phone)) == [domain_responses()["utter_emergency"]]
    assert user_events(stack, phone) == []
    assert escalation_messages(stack, phone), "staff hear of it although Rasa never saw it"


def test_commands_and_controls_arrive_as_clean_plain_text(stack: Stack) -> None:
    phone = new_phone()
    assert messages(sms(stack, '/emergency{"x": 1}', phone))
    replies = messages(sms(stack, DIRTY_EMERGENCY, phone))
    assert "911" in replies[0]
    events = user_events(stack, phone)
    assert [event["text"] for event in events] == ['emergency{"x": 1}', clean_text(DIRTY_EMERGENCY).strip()]
    assert all(is_clean(event["text"]) for event in events)
    assert "x" not in slot_names(stack, phone)


def test_per_phone_limit_keeps_911_and_stop(stack: Stack) -> None:
    phone = new_phone()
    for _ in range(PER_SENDER):
        assert messages(sms(stack, "hello", phone))
    assert messages(sms(stack, "how much does it cost?", phone)) == [LIMITED_REPLY]
    assert escalation_messages(stack, phone) == []
    assert messages(sms(stack, "I can't breathe", phone)) == [domain_responses()["utter_emergency"]]
    assert len(user_events(stack, phone)) == PER_SENDER
    assert escalation_messages(stack, phone) == ["I can't breathe"], "the refused emergency reaches staff"
    stop = messages(sms(stack, "STOP", phone))
    assert len(stop) == 1 and "unsubscribed" in stop[0], "opting out works whatever the limit"
    assert messages(sms(stack, "hello", phone)) == [], "and nothing is sent after it"


def test_opted_out_number_gets_nothing_but_staff_hear_of_a_risk(stack: Stack) -> None:
    phone = new_phone()
    assert "unsubscribed" in messages(sms(stack, "STOP", phone))[0]
    assert messages(sms(stack, "how much is it?", phone)) == []
    assert messages(sms(stack, "I'm 12 weeks pregnant, is that ok?", phone)) == []
    assert user_events(stack, phone) == [], "nothing reaches the assistant"
    assert escalation_messages(stack, phone) == ["I'm 12 weeks pregnant, is that ok?"]


def test_per_source_ip_limit_spans_phone_numbers(stack: Stack) -> None:
    address = new_ip()
    for _ in range(SMS_PER_IP):
        assert messages(sms(stack, "", new_phone(), address))
    assert messages(sms(stack, "hello", new_phone(), address)) == [LIMITED_REPLY]
    assert messages(sms(stack, "", new_phone(), new_ip())) != [LIMITED_REPLY]


def test_oversized_bodies_are_refused(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/sms/webhook"
    assert httpx.post(url, content=b"Body=" + b"a" * 70_000, timeout=30).status_code == 413
    assert httpx.post(url, content=b"Body=" + b"a" * (2 * 1024 * 1024), timeout=30).status_code == 413
    assert httpx.get(f"{stack.rasa_url}/healthz/", timeout=30).status_code == 200
