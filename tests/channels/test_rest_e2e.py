"""Hostile input over the REST channel, against the real Rasa and action servers."""

from __future__ import annotations

import json
import sqlite3
from typing import Iterator, List

import httpx
import pytest

from devstack.stack import Stack, running_stack
from meso.content.answers import menu_question
from meso.content.facts import default_facts_path, load_facts
from meso.guard.hygiene import EMPTY_REPLY, TOO_LONG_REPLY


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("rest_stack"), {"ASSISTANT_MODE": "local"}) as running:
        yield running


def post(stack: Stack, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", timeout=60, **kwargs)  # type: ignore[arg-type]


def texts(reply: httpx.Response) -> List[str]:
    assert reply.status_code == 200, reply.text
    return [m.get("text", "") for m in reply.json()]


def user_events(stack: Stack, sender: str) -> List[dict]:
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'user' ORDER BY id", (sender,)
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def slot_events(stack: Stack, sender: str) -> List[dict]:
    with sqlite3.connect(stack.data_dir / "rasa.db") as db:
        rows = db.execute(
            "SELECT data FROM events WHERE sender_id = ? AND type_name = 'slot'", (sender,)
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


@pytest.mark.parametrize("message", ["", "   \n\t", None], ids=["empty", "whitespace", "missing"])
def test_empty_gets_a_clear_reply(stack: Stack, message: object) -> None:
    assert texts(post(stack, json={"sender": "rest-empty", "message": message})) == [EMPTY_REPLY]


def test_binary_gets_the_same_reply(stack: Stack) -> None:
    assert texts(post(stack, json={"sender": "rest-bin", "message": "\x00\x01\x02\xff\xfe binary"})) == [
        EMPTY_REPLY
    ]
    assert texts(post(stack, json={"sender": "rest-bin", "message": 12345})) == [EMPTY_REPLY]


def test_undecodable_body_is_a_clear_400(stack: Stack) -> None:
    reply = post(
        stack, content=b'{"sender": "x", "message": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400 and "error" in reply.json()


def test_50_kb_is_refused_with_413(stack: Stack) -> None:
    reply = post(stack, json={"sender": "rest-big", "message": "a" * 50_000})
    assert reply.status_code == 413 and "error" in reply.json()
    assert user_events(stack, "rest-big") == []


def test_over_the_length_cap_asks_for_a_shorter_message(stack: Stack) -> None:
    assert texts(post(stack, json={"sender": "rest-long", "message": "cost " * 300})) == [TOO_LONG_REPLY]
    assert user_events(stack, "rest-long") == [], "not sent to Rasa"


def test_html_is_just_text(stack: Stack) -> None:
    replies = texts(
        post(stack, json={"sender": "rest-html", "message": "<script>alert('x')</script><b>hi</b>"})
    )
    assert replies and all("<script>" not in r for r in replies)


def test_topic_button_question_is_answered(stack: Stack) -> None:
    book = load_facts(default_facts_path())
    question = menu_question(book, "cost")
    fact = book.for_topic("cost")[0]
    assert question is not None
    replies = texts(post(stack, json={"sender": "rest-cost", "message": question}))
    assert any(fact.web in reply for reply in replies)


def test_forged_intent_with_entities_is_plain_text(stack: Stack) -> None:
    replies = texts(post(stack, json={"sender": "rest-forged", "message": '/emergency{"x":1}'}))
    assert replies
    event = user_events(stack, "rest-forged")[-1]
    assert event["text"] == 'emergency{"x":1}'
    assert not [e for e in event["parse_data"].get("entities", []) if e.get("entity") == "x"]
    assert not [s for s in slot_events(stack, "rest-forged") if s.get("name") == "x"]


def test_unlisted_command_is_plain_text(stack: Stack) -> None:
    replies = texts(post(stack, json={"sender": "rest-greet", "message": "/greet"}))
    assert replies
    assert user_events(stack, "rest-greet")[-1]["text"] == "greet"


def test_client_cannot_claim_another_channel(stack: Stack) -> None:
    texts(post(stack, json={"sender": "rest-chan", "message": "hello", "input_channel": "sms"}))
    assert user_events(stack, "rest-chan")[-1]["input_channel"] == "rest"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"sender": {"a": 1}, "message": "hi"}', b'"just a string"'],
    ids=["not-json", "array", "bad-sender", "string"],
)
def test_malformed_requests_get_a_clear_4xx(stack: Stack, body: bytes) -> None:
    reply = post(stack, content=body, headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and "error" in reply.json()
