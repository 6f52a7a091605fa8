"""A question naming a product the facts never speak of is declined by that name."""

from __future__ import annotations

import pytest

from meso.content.clinic import load_clinic
from meso.content.facts import load_facts
from meso.content.index import AnswerIndex
from meso.content.respond import respond
from meso.content.spanish import load_spanish
from meso.settings import PROJECT_ROOT

FACTS = PROJECT_ROOT / "facts"
ENGLISH = load_facts(FACTS / "facts.yml")
SPANISH = load_spanish(FACTS / "facts_es.yml", ENGLISH)
CLINIC = load_clinic(FACTS / "clinic.yml")


def test_the_shipped_file_names_products() -> None:
    names = {name for entry in ENGLISH.not_covered for name in entry.names}
    assert {"Kybella", "Aqualyx", "Botox"} <= names
    assert {name for entry in SPANISH.not_covered for name in entry.names} == names


@pytest.mark.parametrize(
    "question",
    ["how much does kybella cost?", "Does Aqualyx hurt?", "is lemon bottle safe for my chin", "can I get botox the same day?"],
)
def test_an_english_question_naming_a_product_is_declined_by_name(question: str) -> None:
    answer = respond(question, ENGLISH, AnswerIndex(ENGLISH), CLINIC)
    assert answer.facts == ()
    assert answer.declined and answer.declined[0].decision.named is not None
    assert answer.declined[0].decision.named.lower() in answer.reply.text.lower()


def test_the_other_question_of_the_message_is_still_answered() -> None:
    answer = respond("Is Kybella better? And how much does a session cost?", ENGLISH, AnswerIndex(ENGLISH), CLINIC)
    assert answer.declined[0].decision.named == "Kybella"
    assert "cost-per-session" in answer.facts


def test_a_product_named_inside_a_word_is_not_a_match() -> None:
    answer = respond("Does it help with prprp... sorry, does it hurt?", ENGLISH, AnswerIndex(ENGLISH), CLINIC)
    assert all(declined.decision.named is None for declined in answer.declined)


def test_a_spanish_question_naming_a_product_is_declined_by_name() -> None:
    answer = respond("cuanto cuesta el kybella?", SPANISH, AnswerIndex(SPANISH), CLINIC)
    assert answer.facts == ()
    assert answer.declined[0].decision.named == "Kybella"
    assert answer.reply.text.startswith("No tengo información sobre Kybella")
