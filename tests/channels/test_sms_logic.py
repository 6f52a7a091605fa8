"""SMS shaping and keywords (meso.sms.messages) and the SMS state store (meso.store.sms_state)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import List

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meso.content.clinic import Clinic
from meso.replies import Button
from meso.sms.messages import (
    MESSAGES_PER_TURN,
    MORE_SUFFIX,
    SMS_MAX_CHARS,
    Keyword,
    help_reply,
    is_e164,
    is_opt_in,
    keyword,
    options_text,
    paginate,
    phone_hash,
    pick_option,
    sentences,
    split_text,
    stop_reply,
    to_sms_segments,
    twiml,
    with_welcome,
)
from meso.store.sms_state import SmsStateStore, Thread

SENTENCE = "Mesotherapy involves injecting small amounts of vitamins into the middle layer of the skin."
PAYLOAD_TEXT = re.compile(r"(^|\s)/[a-z_]+")


def long_text(sentences_count: int) -> str:
    return " ".join(
        f"Sentence {i} says something useful about recovery and bruising." for i in range(sentences_count)
    )


# --- splitting ---------------------------------------------------------------------


def test_short_text_is_one_message() -> None:
    assert split_text(SENTENCE) == [SENTENCE]


def test_split_at_sentence_boundaries() -> None:
    text = long_text(12)
    messages = split_text(text)
    assert len(messages) > 1
    assert all(len(m) <= SMS_MAX_CHARS for m in messages)
    assert all(m.endswith(".") for m in messages), "each message ends at a sentence end"
    assert " ".join(messages) == text


def test_a_sentence_longer_than_a_message_is_cut_at_words() -> None:
    words = ["word"] * 200
    messages = split_text(" ".join(words) + ".")
    assert all(len(m) <= SMS_MAX_CHARS for m in messages)
    assert " ".join(messages).split() == " ".join(words + ["."]).replace(" .", ".").split()


def test_a_giant_word_is_cut_hard() -> None:
    messages = split_text("x" * 700)
    assert [len(m) for m in messages] == [320, 320, 60]


def test_paragraphs_are_sentence_breaks() -> None:
    assert sentences("First part\n\nSecond part") == ["First part", "Second part"]


@given(st.text(alphabet=st.sampled_from("ab .!?\n"), max_size=2000))
def test_split_never_exceeds_the_limit_and_loses_no_words(text: str) -> None:
    messages = split_text(text)
    assert all(0 < len(m) <= SMS_MAX_CHARS for m in messages)
    assert " ".join(messages).split() == text.split()


# --- pages and MORE ----------------------------------------------------------------


def test_three_messages_a_turn_and_the_rest_behind_more() -> None:
    turn = to_sms_segments([{"text": long_text(40)}])
    assert len(turn.messages) == MESSAGES_PER_TURN
    assert turn.messages[-1].endswith(MORE_SUFFIX)
    assert all(len(m) <= SMS_MAX_CHARS for m in turn.messages)
    assert turn.pending, "the rest is kept for MORE"
    for page in turn.pending[:-1]:
        assert len(page) == MESSAGES_PER_TURN and page[-1].endswith(MORE_SUFFIX)
    assert not turn.pending[-1][-1].endswith(MORE_SUFFIX)
    everything = " ".join(m for page in [turn.messages, *turn.pending] for m in page).replace(MORE_SUFFIX, "")
    assert everything.split() == long_text(40).split()


def test_no_more_suffix_when_everything_fits() -> None:
    turn = to_sms_segments([{"text": long_text(8)}])
    assert 1 < len(turn.messages) <= MESSAGES_PER_TURN
    assert not turn.pending
    assert not any(MORE_SUFFIX in m for m in turn.messages)


@given(st.lists(st.text(alphabet=st.sampled_from("abc .!?"), max_size=400), max_size=8))
def test_pages_respect_every_limit(units: List[str]) -> None:
    units = [u.strip() for u in units if u.strip()]
    pages = paginate(units)
    for number, page in enumerate(pages):
        assert 0 < len(page) <= MESSAGES_PER_TURN
        assert all(len(m) <= SMS_MAX_CHARS for m in page)
        assert page[-1].endswith(MORE_SUFFIX) == (number < len(pages) - 1)


def test_short_replies_share_one_message() -> None:
    turn = to_sms_segments([{"text": "Hello!"}, {"text": "What would you like to know?"}])
    assert turn.messages == ["Hello! What would you like to know?"]


# --- emergencies --------------------------------------------------------------------


def test_emergency_is_first_even_before_a_long_answer() -> None:
    emergency = "Please call 911 now. This could be a medical emergency; don't wait for a reply here."
    turn = to_sms_segments([{"text": emergency}, {"text": long_text(40)}])
    assert turn.messages[0].startswith("Please call 911 now.")


def test_a_911_reply_arriving_later_is_moved_first() -> None:
    turn = to_sms_segments([{"text": long_text(40)}, {"text": "Please call 911 now."}])
    assert turn.messages[0].startswith("Please call 911 now.")


# --- options --------------------------------------------------------------------------


def test_buttons_become_numbered_options_without_payloads() -> None:
    turn = to_sms_segments(
        [
            {
                "text": "Do you agree that the clinic may contact you?",
                "buttons": [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
            }
        ]
    )
    assert turn.messages == ["Do you agree that the clinic may contact you? Reply 1 for Yes, 2 for No."]
    assert turn.options == [Button("Yes", "/affirm"), Button("No", "/deny")]
    assert not any(PAYLOAD_TEXT.search(m) for m in turn.messages)


def test_options_come_from_the_last_reply_with_buttons() -> None:
    turn = to_sms_segments(
        [
            {"text": "A", "buttons": [{"title": "One", "payload": "/affirm"}]},
            {"text": "B", "buttons": [{"title": "Two", "payload": "/deny"}]},
        ]
    )
    assert turn.options == [Button("Two", "/deny")]


def test_options_text() -> None:
    assert options_text([Button("Yes", "/affirm"), Button("No", "/deny")]) == "Reply 1 for Yes, 2 for No."


@pytest.mark.parametrize(("body", "expected"), [("1", 0), (" 2 ", 1), ("2.", 1), ("#1", 0)])
def test_a_number_picks_its_option(body: str, expected: int) -> None:
    options = [Button("Yes", "/affirm"), Button("No", "/deny")]
    assert pick_option(body, options) == options[expected]


@pytest.mark.parametrize("body", ["0", "3", "12", "1 please", "one", ""])
def test_other_replies_pick_nothing(body: str) -> None:
    assert pick_option(body, [Button("Yes", "/affirm"), Button("No", "/deny")]) is None


def test_no_options_no_pick() -> None:
    assert pick_option("1", []) is None


def test_payload_only_messages_send_nothing_to_the_phone() -> None:
    turn = to_sms_segments([{"custom": {"x": 1}}, {"image": "http://x/y.png"}])
    assert turn.messages == [] and twiml(turn.messages).endswith("<Response></Response>")


# --- keywords -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body", ["STOP", "stop", " Stop ", "STOPALL", "unsubscribe", "CANCEL", "end", "QUIT"]
)
def test_stop_keywords(body: str) -> None:
    assert keyword(body) is Keyword.STOP


@pytest.mark.parametrize("body", ["stop it", "please stop", "STOP.", "don't stop"])
def test_stop_only_as_the_whole_message(body: str) -> None:
    assert keyword(body) is not Keyword.STOP


@pytest.mark.parametrize(
    ("body", "word"), [("help", Keyword.HELP), ("INFO", Keyword.HELP), ("More", Keyword.MORE)]
)
def test_other_keywords(body: str, word: Keyword) -> None:
    assert keyword(body) is word


def test_opt_in_words() -> None:
    assert is_opt_in("start", opted_out=False) and is_opt_in("UNSTOP", opted_out=True)
    assert is_opt_in("yes", opted_out=True)
    assert not is_opt_in("yes", opted_out=False), "YES is an answer while subscribed"


def test_help_names_clinic_service_staff_and_opt_out() -> None:
    text = help_reply(Clinic(name="San Fernando Medical Center", phone="(818) 555-0100"))
    assert len(text) <= SMS_MAX_CHARS
    for part in ("San Fernando Medical Center", "mesotherapy", "(818) 555-0100", "STOP", "911"):
        assert part in text
    unknown = help_reply(Clinic(name="San Fernando Medical Center"))
    assert "call back" in unknown and "STOP" in unknown


def test_stop_reply_says_how_to_come_back() -> None:
    assert "START" in stop_reply(Clinic(name="X"))


# --- misc ---------------------------------------------------------------------------------


def test_twiml_escapes_xml() -> None:
    xml = twiml(["a < b & c > d", 'quote " here\x01'])
    assert "<Message>a &lt; b &amp; c &gt; d</Message>" in xml
    assert "\x01" not in xml and xml.startswith("<?xml")


def test_e164_and_hash() -> None:
    assert is_e164("+18185550100") and not is_e164("8185550100") and not is_e164("whatsapp:+1818")
    assert phone_hash("+18185550100") != "+18185550100" and "555" not in phone_hash("+18185550100")


# --- state store --------------------------------------------------------------------------


@pytest.fixture()
def store(tmp_path: Path) -> SmsStateStore:
    return SmsStateStore(f"sqlite:///{tmp_path / 'state.db'}")


def test_message_sid_is_processed_once(store: SmsStateStore) -> None:
    assert store.claim("SM" + "a" * 32) is None
    assert store.claim("SM" + "a" * 32) == "", "in flight: empty answer"
    store.finish("SM" + "a" * 32, "<Response/>")
    assert store.claim("SM" + "a" * 32) == "<Response/>"


def test_opt_out_and_back(store: SmsStateStore) -> None:
    phone = "+18185550100"
    store.save_thread(phone, Thread(pending=[["x"]], options=[Button("Yes", "/affirm")]))
    assert not store.is_opted_out(phone)
    assert store.opt_out(phone) is True
    assert store.opt_out(phone) is False
    assert store.is_opted_out(phone)
    assert store.thread(phone) == Thread(), "opting out forgets pending messages"
    assert store.opt_in(phone) is True and not store.is_opted_out(phone)
    assert store.opt_in(phone) is False


def test_pages_are_taken_in_order_and_options_kept(store: SmsStateStore) -> None:
    phone = "+18185550101"
    store.save_thread(phone, Thread(pending=[["a"], ["b"]], options=[Button("No", "/deny")]))
    assert store.next_page(phone) == ["a"]
    assert store.next_page(phone) == ["b"]
    assert store.next_page(phone) is None
    assert store.thread(phone).options == [Button("No", "/deny")]


def test_old_state_is_pruned(tmp_path: Path) -> None:
    now = [datetime(2026, 1, 1, 12, 0)]
    store = SmsStateStore(f"sqlite:///{tmp_path / 'state.db'}", clock=lambda: now[0])
    store.claim("SM" + "b" * 32)
    store.save_thread("+18185550102", Thread(pending=[["a"]]))
    store.opt_out("+18185550103")
    now[0] += timedelta(days=1, minutes=1)
    assert store.thread("+18185550102") == Thread(), "expired thread is not served"
    store.prune()
    assert store.claim("SM" + "b" * 32) is None, "pruned sid is new again"
    assert store.is_opted_out("+18185550103"), "opt-outs are never pruned"


def test_a_welcome_leads_an_ordinary_turn_and_follows_an_emergency() -> None:
    welcome = "This is the clinic's automated assistant. Not for emergencies: call 911."
    answer = [{"text": "One session may cost hundreds of dollars."}]
    emergency = [{"text": "Please call 911 now. This could be a medical emergency."}]
    assert to_sms_segments(with_welcome(answer, welcome)).messages == [f"{welcome} {answer[0]['text']}"]
    turn = to_sms_segments(with_welcome(emergency, welcome)).messages
    assert turn[0].startswith("Please call 911 now.") and turn[0].endswith(welcome)
