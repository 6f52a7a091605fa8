"""Channel input hygiene: length, emptiness, binary, controls, bidi and "/" commands."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meso.guard.hygiene import (
    EMPTY_REPLY,
    FIXED_PAYLOADS,
    MAX_MESSAGE_CHARS,
    TOO_LONG_REPLY,
    screen,
)

ALLOWED = FIXED_PAYLOADS


@pytest.mark.parametrize("payload", sorted(FIXED_PAYLOADS))
def test_fixed_button_payloads_pass(payload: str) -> None:
    assert screen(payload, ALLOWED).text == payload


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/greet", "greet"),
        ('/emergency{"x":1}', 'emergency{"x":1}'),
        ('/ask_cost{"body_area":"face"}', 'ask_cost{"body_area":"face"}'),
        ("//ask_cost", "ask_cost"),
        ("/ /greet", "greet"),
        ("  /nlu_fallback  ", "nlu_fallback"),
        ("/ask_unknown_topic", "ask_unknown_topic"),
        ("/ask_question", "ask_question"),
        ("/Affirm", "Affirm"),
    ],
)
def test_other_commands_become_plain_text(raw: str, expected: str) -> None:
    result = screen(raw, ALLOWED)
    assert result.text == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", None, "/", "///", "\u202e\u202c", "\x07"])
def test_empty_messages_get_a_clear_reply(raw: object) -> None:
    result = screen(raw, ALLOWED)
    assert not result.accepted
    assert result.reply == EMPTY_REPLY
    assert "didn't get any text" in EMPTY_REPLY


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00\x01", "\x00\x01\x02abc", "\ufffd\ufffd\ufffdab", 42, ["a"], {"a": 1}])
def test_binary_or_non_text_gets_the_same_reply(raw: object) -> None:
    result = screen(raw, ALLOWED)
    assert result.reply == EMPTY_REPLY and result.reason == "binary"


def test_utf8_bytes_are_decoded() -> None:
    assert screen("Does it hurt? ça va".encode(), ALLOWED).text == "Does it hurt? ça va"


def test_too_long_is_refused_politely() -> None:
    result = screen("a" * (MAX_MESSAGE_CHARS + 1), ALLOWED)
    assert not result.accepted and result.reply == TOO_LONG_REPLY
    assert "shorter" in TOO_LONG_REPLY
    assert screen("a" * MAX_MESSAGE_CHARS, ALLOWED).text == "a" * MAX_MESSAGE_CHARS


def test_controls_and_bidi_overrides_are_removed() -> None:
    assert screen("how \u202emuch\u202c does it\x1b cost", ALLOWED).text == "how much does it cost"


def test_leading_whitespace_cannot_smuggle_a_command() -> None:
    # Rasa strips the text before looking for "/", so screening must strip first too.
    assert screen("\u2066 \t/greet", ALLOWED).text == "greet"


@given(st.text(max_size=1200))
def test_nothing_unlisted_reaches_rasa_as_a_command(raw: str) -> None:
    result = screen(raw, ALLOWED)
    if result.accepted:
        assert result.text
        assert result.text == result.text.strip()
        assert not result.text.startswith("/") or result.text in ALLOWED
        assert len(result.text) <= MAX_MESSAGE_CHARS
        assert not any(c in result.text for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    else:
        assert result.reply in (EMPTY_REPLY, TOO_LONG_REPLY)
