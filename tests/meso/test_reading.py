"""How a patient's wording is read before matching: body areas named as examples,
one-word questions, questions asked as statements, and statements that ask nothing."""

from __future__ import annotations

import pytest

from meso.content.clauses import clause_spans
from meso.content.clinic import load_clinic
from meso.content.facts import load_facts
from meso.content.index import AnswerIndex
from meso.content.respond import looks_like_question, respond
from meso.content.spanish import load_spanish
from meso.content.wording import content_words
from meso.settings import PROJECT_ROOT

FACTS = PROJECT_ROOT / "facts"
ENGLISH = load_facts(FACTS / "facts.yml")
SPANISH = load_spanish(FACTS / "facts_es.yml", ENGLISH)
CLINIC = load_clinic(FACTS / "clinic.yml")
AREA_FACTS = {"areas-examples", "areas-cellulite"}


def test_areas_the_facts_name_only_as_examples_read_alike() -> None:
    assert content_words("can you do my thighs") == content_words("can you do my hips")
    assert content_words("mis brazos", "es") == content_words("la panza", "es")
    # An area with a fact of its own keeps its name.
    assert "chin" in content_words("can you do my chin")
    assert "back" in content_words("can it help my back")


@pytest.mark.parametrize("question", ["can you treat my hips and thighs", "can meso help my arms jiggle less"])
def test_a_question_about_areas_gets_an_areas_fact(question: str) -> None:
    answer = respond(question, ENGLISH, AnswerIndex(ENGLISH), CLINIC)
    assert set(answer.facts) & AREA_FACTS


def test_a_one_word_question_is_a_question_of_its_own() -> None:
    text = "duele? y cuando se empiezan a ver los resultados?"
    assert len(clause_spans(text)) == 2
    answer = respond(text, SPANISH, AnswerIndex(SPANISH), CLINIC)
    assert answer.facts and answer.facts[0] in {"pain-during", "pain-afterwards"}
    assert [d.decision.key for d in answer.declined] == ["results-timeline"]


def test_spanish_clauses_split_after_tmb() -> None:
    text = "sirve pal dolor de espalda y tmb pa la caida del cabello?"
    assert len(clause_spans(text)) == 2
    answer = respond(text, SPANISH, AnswerIndex(SPANISH), CLINIC)
    assert set(answer.facts) == {"pain-management-neck-back", "hair-loss"}


@pytest.mark.parametrize(
    "text",
    ["I'd like to know what the injections are made of", "just wondering if it leaves marks", "quisiera saber si duele"],
)
def test_a_question_asked_as_a_statement_is_a_question(text: str) -> None:
    assert looks_like_question(text)


def test_a_statement_that_asks_nothing_needs_a_close_match() -> None:
    # Nothing is asked: a loose match with an areas fact is not an answer.
    answer = respond("I had some fat on my arms removed years ago", ENGLISH, AnswerIndex(ENGLISH), CLINIC)
    assert answer.facts == ()
    # A question about the area is answered.
    asked = respond("sirve para las caderas?", SPANISH, AnswerIndex(SPANISH), CLINIC)
    assert set(asked.facts) & AREA_FACTS


def test_spanish_slang_for_work_reads_as_work() -> None:
    answer = respond("al otro dia ya puedo ir a jalar?", SPANISH, AnswerIndex(SPANISH), CLINIC)
    assert set(answer.facts) & {"recovery-next-day", "recovery-24-hours"}
