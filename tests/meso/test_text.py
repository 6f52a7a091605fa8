"""clean_text: what is removed, what is kept."""

from __future__ import annotations

import pytest

from meso.text import BIDI_CONTROLS, clean_text


@pytest.mark.parametrize("char", sorted(BIDI_CONTROLS))
def test_every_bidi_override_and_isolate_is_removed(char: str) -> None:
    assert clean_text(f"pay {char}evil{char} now") == "pay evil now"


def test_bidi_ranges_are_exactly_the_documented_ones() -> None:
    expected = {*(chr(c) for c in range(0x202A, 0x202F)), *(chr(c) for c in range(0x2066, 0x206A))}
    assert set(BIDI_CONTROLS) == expected


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x86", "\x9b"])
def test_control_characters_are_removed(char: str) -> None:
    assert clean_text(f"a{char}b") == "ab"


def test_terminal_escape_sequence_loses_its_escape() -> None:
    assert clean_text("\x1b[31mred") == "[31mred"


def test_newlines_are_unified_and_tabs_kept() -> None:
    assert clean_text("one\r\ntwo\rthree\u2028four\u0085five\tsix") == "one\ntwo\nthree\nfour\nfive\tsix"


def test_ordinary_unicode_is_kept() -> None:
    text = "José, 12 semanas 🤰🏽 — مرحبا 你好 👩‍⚕️"
    assert clean_text(text) == text


def test_text_is_nfc_normalised() -> None:
    assert clean_text("Jose\u0301") == "José"


def test_lone_surrogates_are_removed() -> None:
    assert clean_text("ok\ud800!") == "ok!"


def test_max_len_cuts_after_cleaning() -> None:
    assert clean_text("\u202eabcdef", max_len=3) == "abc"
    assert clean_text("abc", max_len=10) == "abc"
    assert clean_text("abc", max_len=0) == ""


def test_empty_and_none_give_empty_string() -> None:
    assert clean_text("") == ""
    assert clean_text(None) == ""


def test_whitespace_is_left_to_the_caller() -> None:
    assert clean_text("  hi  ") == "  hi  "
