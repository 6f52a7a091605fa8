"""The REST channel in production mode against the real Rasa and action servers (and the
staff console): access, sender checks, length and body caps, "/" commands, cleaning,
rate limits."""

from __future__ import annotations

from typing import Any, Iterator, List

import httpx
import pytest

from channels.rest import MAX_BODY_BYTES
from devstack.stack import Stack
from meso.guard.hygiene import TOO_LONG_REPLY
from meso.guard.refusals import LIMITED_REPLY, domain_responses
from meso.text import clean_text
from tests.hostile.checks import BINARY_EMERGENCY, DIRTY_EMERGENCY, OVERRIDE_TRICK, is_clean
from tests.hostile.conftest import PER_IP, PER_SENDER, REST_TOKEN, STAFF_API_TOKEN, client, new_ip
from tests.support.staff_server import StaffServer
from tests.support.stores import escalation_messages, slot_names, user_events

AUTH = {"Authorization": f"Bearer {REST_TOKEN}"}


@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with client(new_ip()) as fresh:
        yield fresh


def post(http: httpx.Client, stack: Stack, body: Any, headers: Any = AUTH) -> httpx.Response:
    return http.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers=headers)


def texts(reply: httpx.Response) -> List[str]:
    assert reply.status_code == 200, reply.text
    return [message.get("text", "") for message in reply.json()]


def test_outside_local_mode_only_the_token_gets_in(stack: Stack, http: httpx.Client) -> None:
    body = {"sender": "rest-token", "message": "hello"}
    assert post(http, stack, body, headers={}).status_code == 403
    assert post(http, stack, body, headers={"Authorization": "Bearer not-the-token"}).status_code == 403
    assert post(http, stack, body, headers={"Authorization": REST_TOKEN}).status_code == 403, "scheme required"
    assert user_events(stack, "rest-token") == []
    assert texts(post(http, stack, body))
    assert len(user_events(stack, "rest-token")) == 1


@pytest.mark.parametrize(
    "sender", ["a\u202eb", "nul\x00", "line\nbreak", "zero\u200bwidth", "   ", "x" * 129, 42],
    ids=["bidi", "nul", "newline", "zero-width", "blank", "long", "number"],
)
def test_a_sender_that_could_mislead_staff_is_refused(stack: Stack, http: httpx.Client, sender: Any) -> None:
    reply = post(http, stack, {"sender": sender, "message": "I can't breathe"})
    assert reply.status_code == 400 and "sender" in reply.json()["error"]
    if isinstance(sender, str):
        assert user_events(stack, sender) == []


def test_over_the_length_cap_a_polite_reply_and_nothing_stored(stack: Stack, http: httpx.Client) -> None:
    assert texts(post(http, stack, {"sender": "rest-long", "message": "how much is it? " * 80})) == [TOO_LONG_REPLY]
    assert user_events(stack, "rest-long") == []


def test_an_emergency_over_the_length_cap_still_gets_911(stack: Stack, http: httpx.Client) -> None:
    message = "I had mesotherapy yesterday. " * 40 + "Now I can't breathe and my throat is swelling."
    assert texts(post(http, stack, {"sender": "rest-long-911", "message": message})) == [
        domain_responses()["utter_emergency"]
    ]


def test_a_binary_emergency_still_gets_911(stack: Stack, http: httpx.Client) -> None:
    assert texts(post(http, stack, {"sender": "rest-binary", "message": BINARY_EMERGENCY})) == [
        domain_responses()["utter_emergency"]
    ]
    assert user_events(stack, "rest-binary") == []


def test_body_caps_answer_413_and_the_server_stays_healthy(stack: Stack, http: httpx.Client) -> None:
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    channel_cap = http.post(url, json={"sender": "rest-big", "message": "a" * MAX_BODY_BYTES}, headers=AUTH)
    assert channel_cap.status_code == 413 and "error" in channel_cap.json()
    server_cap = http.post(url, content=b"x" * (2 * 1024 * 1024), headers=AUTH)
    assert server_cap.status_code == 413, "Sanic refuses it before the channel reads it"

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            yield b"y" * 32 * 1024

    chunked = httpx.post(url, content=chunks(), headers=AUTH, timeout=60)  # no Content-Length
    assert chunked.status_code == 413
    assert user_events(stack, "rest-big") == []
    assert http.get(f"{stack.rasa_url}/healthz/").status_code == 200


@pytest.mark.parametrize(
    ("message", "stored"),
    [
        ('/emergency{"x": 1}', 'emergency{"x": 1}'),
        ("/greet", "greet"),
        ("//ask_cost", "ask_cost"),
        ('  /request_callback{"name": "Mallory"}', 'request_callback{"name": "Mallory"}'),
        ("\u202e/greet", "greet"),
        ('/ask_cost{"x": 1}', 'ask_cost{"x": 1}'),
    ],
    ids=["entities", "unlisted", "double-slash", "leading-space", "bidi-first", "payload-with-entities"],
)
def test_only_our_exact_button_payloads_act_as_commands(
    stack: Stack, http: httpx.Client, message: str, stored: str
) -> None:
    sender = f"rest-slash-{abs(hash(message))}"
    assert texts(post(http, stack, {"sender": sender, "message": message}))
    event = user_events(stack, sender)[-1]
    assert event["text"] == stored
    assert not event["parse_data"].get("entities"), "no entity from a forged command"
    assert not {"x", "name"} & set(slot_names(stack, sender))


def test_our_button_payload_is_a_command(stack: Stack, http: httpx.Client) -> None:
    assert texts(post(http, stack, {"sender": "rest-button", "message": "/request_callback"}))
    event = user_events(stack, "rest-button")[-1]
    assert event["text"] == "/request_callback"
    assert event["parse_data"]["intent"]["name"] == "request_callback"


def test_controls_and_bidi_never_reach_storage_or_staff(
    stack: Stack, staff: StaffServer, http: httpx.Client
) -> None:
    sender = "rest-dirty"
    replies = texts(
        post(http, stack, {"sender": sender, "message": DIRTY_EMERGENCY, "metadata": {"k\u202e": "v\x1b[0m", "n": 1}})
    )
    assert replies[0] == domain_responses()["utter_emergency"]
    texts(post(http, stack, {"sender": sender, "message": OVERRIDE_TRICK}))
    events = user_events(stack, sender)
    assert [event["text"] for event in events] == [clean_text(DIRTY_EMERGENCY).strip(), clean_text(OVERRIDE_TRICK)]
    assert all(is_clean(event["text"]) for event in events)
    assert events[0]["metadata"]["k"] == "v[0m" and events[0]["metadata"]["n"] == 1
    assert not [key for key in events[0]["metadata"] if not is_clean(key)]
    stored = escalation_messages(stack, sender)
    assert stored and all(is_clean(message) for message in stored)

    api = httpx.get(f"{staff.url}/api/escalations", headers={"Authorization": f"Bearer {STAFF_API_TOKEN}"})
    cases = [case for case in api.json() if case["conversation_id"] == sender]
    assert cases and all(is_clean(case["message"]) for case in cases)
    detail = httpx.get(
        f"{staff.url}/api/escalations/{cases[0]['id']}", headers={"Authorization": f"Bearer {STAFF_API_TOKEN}"}
    ).json()
    assert detail["transcript"] and all(is_clean(turn["text"]) for turn in detail["transcript"])
    assert "\u202e" not in api.text and "\\u202e" not in api.text


def test_per_sender_limit_is_polite_and_keeps_the_emergency_instruction(stack: Stack, http: httpx.Client) -> None:
    sender = "rest-limited"
    for _ in range(PER_SENDER):
        assert texts(post(http, stack, {"sender": sender, "message": "hello"}))
    limited = post(http, stack, {"sender": sender, "message": "how much does it cost?"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert [m["text"] for m in limited.json()] == [LIMITED_REPLY]
    emergency = post(http, stack, {"sender": sender, "message": "I can't breathe"})
    assert emergency.status_code == 200, "an emergency over the limit is still answered with 200"
    assert texts(emergency) == [domain_responses()["utter_emergency"]]
    crisis = post(http, stack, {"sender": sender, "message": "I want to kill myself"})
    assert texts(crisis) == [domain_responses()["utter_crisis"]]
    assert len(user_events(stack, sender)) == PER_SENDER, "refused messages never reached Rasa"
    assert texts(post(http, stack, {"sender": "rest-limited-other", "message": "hello"})), "others unaffected"


def test_per_ip_limit_counts_every_sender_of_an_address(stack: Stack, http: httpx.Client) -> None:
    for number in range(PER_IP):
        assert post(http, stack, {"sender": f"rest-ip-{number}", "message": ""}).status_code == 200
    limited = post(http, stack, {"sender": "rest-ip-new", "message": "hello"})
    assert limited.status_code == 429 and [m["text"] for m in limited.json()] == [LIMITED_REPLY]
    with client(new_ip()) as elsewhere:
        assert texts(post(elsewhere, stack, {"sender": "rest-ip-new", "message": "hello"}))


def test_a_forged_forwarded_address_does_not_dodge_the_per_ip_limit(stack: Stack) -> None:
    """With no trusted proxy configured (SANIC_PROXIES_COUNT unset), X-Forwarded-For is ignored."""
    with client(new_ip()) as http:
        for number in range(PER_IP):
            forged = {**AUTH, "X-Forwarded-For": f"203.0.113.{number}"}
            assert post(http, stack, {"sender": f"rest-xff-{number}", "message": ""}, forged).status_code == 200
        forged = {**AUTH, "X-Forwarded-For": "203.0.113.200"}
        assert post(http, stack, {"sender": "rest-xff-new", "message": "hello"}, forged).status_code == 429
