"""The welcome (meso.content.welcome) and the privacy notice (meso.content.privacy): pure text."""

from __future__ import annotations

from pathlib import Path

import pytest

from meso.content.clinic import Clinic, load_clinic
from meso.content.facts import default_facts_path, load_facts
from meso.content.index import AnswerIndex
from meso.content.privacy import privacy_notice
from meso.content.respond import respond
from meso.content.spanish import SPANISH_FILE, load_spanish
from meso.content.welcome import PRIVACY_PATHS, TOPIC_QUESTIONS, sms_welcome, web_welcome
from meso.guard.hygiene import screen
from meso.sms.messages import SMS_MAX_CHARS
from meso.sms.segments import segments

CLINIC = Clinic(name="San Fernando Medical Center")


def notice_text(clinic: Clinic, days: int, language: str = "en") -> str:
    return " ".join(f"{s.heading} {' '.join(s.paragraphs)}" for s in privacy_notice(clinic, days, language))


def test_web_welcome_says_who_what_and_not_for_emergencies() -> None:
    messages = web_welcome(CLINIC, 30)
    text = " ".join(m["text"] for m in messages)
    assert "automated assistant of San Fernando Medical Center, not a person" in text
    assert "Not for emergencies" in text and "call 911" in text
    assert "kept for 30 days" in text
    assert [m["link"]["url"] for m in messages if "link" in m] == [PRIVACY_PATHS["en"]]
    buttons = [b for m in messages for b in m.get("quick_replies", [])]
    assert len(buttons) == len(TOPIC_QUESTIONS["en"])


def test_spanish_web_welcome_is_the_same_welcome_in_spanish() -> None:
    messages = web_welcome(CLINIC, 30, "es")
    assert [set(m) for m in messages] == [set(m) for m in web_welcome(CLINIC, 30)], "same shape"
    text = " ".join(m["text"] for m in messages)
    assert "asistente automático de San Fernando Medical Center, no una persona" in text
    assert "No es para emergencias" in text and "llame al 911 ahora" in text
    assert "se guarda 30 días" in text
    assert [m["link"]["url"] for m in messages if "link" in m] == [PRIVACY_PATHS["es"]]
    assert web_welcome(CLINIC, 30, "fr") == web_welcome(CLINIC, 30), "an unknown language: English"


@pytest.mark.parametrize("language", ["en", "es"])
def test_topic_buttons_send_plain_questions_that_pass_hygiene_unchanged(language: str) -> None:
    for button in TOPIC_QUESTIONS[language]:
        assert not button.payload.startswith("/")
        assert screen(button.payload).text == button.payload


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_topic_button_is_answered_by_a_fact(language: str) -> None:
    book = load_facts(default_facts_path())
    if language == "es":
        book = load_spanish(Path(default_facts_path()).parent / SPANISH_FILE, book)
    index = AnswerIndex(book)
    for button in TOPIC_QUESTIONS[language]:
        answer = respond(button.payload, book, index, load_clinic())
        assert answer.facts and not answer.declined, (button.payload, answer)


def test_sms_welcome_fits_one_message_and_names_help_and_stop() -> None:
    text = sms_welcome(CLINIC)
    assert len(text) <= SMS_MAX_CHARS
    assert "San Fernando Medical Center" in text and "call 911" in text
    assert "HELP" in text and "STOP" in text


def test_spanish_sms_welcome_costs_no_more_segments_than_the_english_one() -> None:
    text = sms_welcome(CLINIC, "es")
    assert "San Fernando Medical Center" in text and "llame al 911" in text
    assert "AYUDA" in text and "ALTO" in text
    assert segments(text).count <= segments(sms_welcome(CLINIC)).count


def test_spanish_privacy_notice_says_the_same_in_spanish() -> None:
    clinic = Clinic(name="San Fernando Medical Center", phone="(818) 555-0100")
    text = notice_text(clinic, 45, "es")
    assert len(privacy_notice(clinic, 45, "es")) == len(privacy_notice(clinic, 45))
    assert "se borran 45 días después de su último mensaje" in text
    assert "El personal de San Fernando Medical Center" in text
    assert "llame a San Fernando Medical Center al (818) 555-0100" in text
    assert "no tiene su teléfono ni su dirección" in notice_text(Clinic(name="X"), 90, "es")


def test_privacy_notice_states_retention_readers_and_deletion() -> None:
    text = notice_text(Clinic(name="San Fernando Medical Center", phone="(818) 555-0100"), 45)
    assert "deleted 45 days after their last message" in text
    assert "Staff of San Fernando Medical Center" in text
    assert "call San Fernando Medical Center at (818) 555-0100" in text


def test_privacy_notice_invents_no_contact_detail() -> None:
    text = notice_text(Clinic(name="San Fernando Medical Center"), 90)
    assert "does not have its phone number or address" in text
    assert "call back" in text
    assert not any(char.isdigit() for char in text.replace("90", "").replace("911", ""))
    assert "the clinic" in notice_text(Clinic(), 90), "no name: 'the clinic', not a guess"
