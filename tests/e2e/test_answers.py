"""Every topic is answered from the facts file, through the real servers."""

from __future__ import annotations

import uuid

import pytest

from meso.facts import load_facts
from meso.settings import PROJECT_ROOT
from tests.support.stack import Stack

BOOK = load_facts(PROJECT_ROOT / "facts" / "facts.yml")

QUESTIONS = {
    "procedure": "what is mesotherapy and how does it work?",
    "needles": "how big are the needles",
    "pain": "does it hurt?",
    "anesthesia": "do I need anesthesia for it",
    "session_length": "how long does a session take?",
    "recovery": "can i go back to work the next day",
    "cost": "how much does mesotherapy cost?",
    "contraindications": "who shouldn't get mesotherapy?",
    "age_limit": "what is the minimum age for mesotherapy",
    "areas": "which parts of the body can be treated?",
    "face": "can you do a mesolift on my face",
    "hair_loss": "does it help with hair loss",
    "pain_management": "can mesotherapy help my neck pain",
    "weight_loss": "will it help me lose weight",
    "liposuction": "is it better than liposuction",
    "sessions_number": "how many sessions will i need",
    "safety": "is mesotherapy safe?",
    "history": "where does mesotherapy come from?",
    "doctor": "who is the doctor",
    "clinic": "tell me about the clinic",
}


def texts(replies: list) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def test_every_topic_has_a_question() -> None:
    assert set(QUESTIONS) == set(BOOK.topics)


@pytest.mark.parametrize("topic", sorted(QUESTIONS))
def test_topic_is_answered_from_the_facts(stack: Stack, topic: str) -> None:
    replies = stack.say(f"topic-{topic}-{uuid.uuid4().hex[:6]}", QUESTIONS[topic])
    answer = texts(replies)
    assert BOOK.for_topic(topic)[0].web in answer
    assert "Source:" in answer


def test_body_area_narrows_the_answer(stack: Stack) -> None:
    chin = BOOK.for_topic("areas", "chin")[0]
    answer = texts(stack.say("area-chin", "can you treat the fat under my chin?"))
    assert chin.web in answer


def test_follow_up_keeps_context(stack: Stack) -> None:
    sender = f"follow-{uuid.uuid4().hex[:6]}"
    stack.say(sender, "what is mesotherapy?")
    answer = texts(stack.say(sender, "and how much is it?"))
    assert BOOK.for_topic("cost")[0].web in answer


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        ("how long does a session take and does it hurt?", "session_length", "pain"),
        ("How much is it? Is it painful?", "cost", "pain"),
        ("who is the doctor and where is the clinic", "doctor", "clinic"),
    ],
)
def test_two_questions_in_one_message_get_both_answers(stack: Stack, question: str, first: str, second: str) -> None:
    answer = texts(stack.say(f"two-{uuid.uuid4().hex[:6]}", question))
    first_fact, second_fact = BOOK.for_topic(first)[0].web, BOOK.for_topic(second)[0].web
    assert first_fact in answer and second_fact in answer
    assert answer.index(first_fact) < answer.index(second_fact), "answered in the order asked"


@pytest.mark.parametrize(
    "question",
    ["does insurance cover mesotherapy?", "how long do the results last?", "do you offer financing?"],
)
def test_unanswerable_question_is_not_invented(stack: Stack, question: str) -> None:
    answer = texts(stack.say(f"gap-{uuid.uuid4().hex[:6]}", question))
    assert "I don't have that information" in answer


def test_bot_says_it_is_automated(stack: Stack) -> None:
    assert "automated assistant" in texts(stack.say("bot-q", "am i talking to a real person or a bot?"))


def test_gibberish_offers_topics_instead_of_guessing(stack: Stack) -> None:
    replies = stack.say("gibberish", "qwzx plorb vvv")
    assert any(reply.get("buttons") for reply in replies)
