"""The welcome (meso.welcome) and the privacy notice (meso.privacy): pure text."""

from __future__ import annotations

from meso.clinic import Clinic
from meso.inbound import screen
from meso.privacy import privacy_notice
from meso.sms import SMS_MAX_CHARS
from meso.welcome import PRIVACY_PATH, TOPIC_QUESTIONS, sms_welcome, web_welcome

CLINIC = Clinic(name="San Fernando Medical Center")


def notice_text(clinic: Clinic, days: int) -> str:
    return " ".join(f"{s.heading} {' '.join(s.paragraphs)}" for s in privacy_notice(clinic, days))


def test_web_welcome_says_who_what_and_not_for_emergencies() -> None:
    messages = web_welcome(CLINIC, 30)
    text = " ".join(m["text"] for m in messages)
    assert "automated assistant of San Fernando Medical Center, not a person" in text
    assert "Not for emergencies" in text and "call 911" in text
    assert "kept for 30 days" in text
    assert [m["link"]["url"] for m in messages if "link" in m] == [PRIVACY_PATH]
    buttons = [b for m in messages for b in m.get("quick_replies", [])]
    assert len(buttons) == len(TOPIC_QUESTIONS)


def test_topic_buttons_send_plain_questions_that_pass_hygiene_unchanged() -> None:
    for button in TOPIC_QUESTIONS:
        assert not button.payload.startswith("/")
        assert screen(button.payload).text == button.payload


def test_sms_welcome_fits_one_message_and_names_help_and_stop() -> None:
    text = sms_welcome(CLINIC)
    assert len(text) <= SMS_MAX_CHARS
    assert "San Fernando Medical Center" in text and "call 911" in text
    assert "HELP" in text and "STOP" in text


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
