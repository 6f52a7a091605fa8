"""Tests for meso.language: detection restricted to English and Spanish, choices, preferences."""

from __future__ import annotations

import pytest

from meso.language import conversation_language, detect, preferred_language, reply_language, turn_language


@pytest.mark.parametrize(
    "text,language",
    [
        ("No puedo respirar después de las inyecciones", "es"),
        ("ya no quiero vivir", "es"),
        ("cuanto cuesta la sesion de mesoterapia", "es"),
        ("tengo un appointment la otra semana, necesito anestesia?", "es"),
        ("How long does a session take?", "en"),
        ("I'm 12 weeks pregnant, can I still have it?", "en"),
    ],
)
def test_confident_detection(text: str, language: str) -> None:
    detection = detect(text)
    assert detection.language == language and detection.confident


@pytest.mark.parametrize("text", ["ok", "no", "si", "1", "", "👍", "Maria"])
def test_short_messages_are_not_confident(text: str) -> None:
    assert not detect(text).confident


def test_choices_and_greetings() -> None:
    assert detect("en español por favor").chosen and detect("en español").language == "es"
    assert detect("in English please").language == "en" and detect("in English please").chosen
    assert detect("Spanish please").language == "es"
    assert detect("hola").language == "es" and detect("hola").confident
    assert not detect("does anyone there speak spanish").chosen  # a question about the staff
    assert not detect("¿hablan español?").chosen


def test_the_conversation_changes_language_only_when_sure() -> None:
    assert conversation_language(None, "ok") == "en"
    assert conversation_language("es", "ok") == "es"
    assert conversation_language("es", "How much does a session cost?") == "en"
    assert conversation_language("en", "cuanto cuesta una sesion?") == "es"


def test_turn_language_prefers_the_patient_over_the_channel() -> None:
    assert turn_language("thanks", "es") == "es"
    assert turn_language("How much does a session cost?", "es") == "en"
    assert turn_language("me desmaye", None, urgent=True) == "es"  # read on its probability
    assert turn_language("me ahogo", None, urgent=True) is None  # too short to read ...
    assert turn_language("me ahogo", None, urgent=True, found_in="es") == "es"  # ... Spanish terms found it
    assert turn_language("ok", None) is None


def test_reply_and_preferred_language() -> None:
    assert reply_language("no puedo respirar") == "es"
    assert reply_language(None) == "en" and reply_language("ok", "es") == "es"
    assert preferred_language("en la tarde, en español", "en") == "es"
    assert preferred_language("mornings, in English", "es") == "en"
    assert preferred_language("mañana temprano", "es") == "es"
    assert preferred_language("English or Spanish, either", "es") == "es"
