"""Clause splitting: each question of a message, nothing else."""

from __future__ import annotations

from typing import List

import pytest

from meso.content.clauses import clause_spans


def clauses(text: str) -> List[str]:
    return [text[start:end] for start, end in clause_spans(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("how long does a session take and does it hurt?", ["how long does a session take", "does it hurt"]),
        ("How much is it? Does it hurt", ["How much is it", "Does it hurt"]),
        ("is it safe, and how much does it cost", ["is it safe", "how much does it cost"]),
        ("what areas can you treat; what is recovery like", ["what areas can you treat", "what is recovery like"]),
        ("who is Dr. Gomez and how much is it", ["who is Dr. Gomez", "how much is it"]),
    ],
)
def test_questions_are_split(text: str, expected: List[str]) -> None:
    assert clauses(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "what is mesotherapy",
        "I want fat and cellulite treated",  # "and" joining nouns, not questions
        "does it cost 3.5 thousand pesos?",
        "hi, what areas can be treated",  # a greeting is not a question of its own
        "",
    ],
)
def test_one_question_stays_whole(text: str) -> None:
    assert len(clause_spans(text)) <= 1


@pytest.mark.parametrize(
    "text, expected",
    [
        # a tag asking whether the clause before it is true stays with that clause
        ("my aunt says it started in france, is that right? does it hurt",
         ["my aunt says it started in france, is that right", "does it hurt"]),
        ("me dijeron que no duele, es cierto?", ["me dijeron que no duele, es cierto"]),
    ],
)
def test_confirmation_tags_stay_with_their_clause(text: str, expected: List[str]) -> None:
    assert clauses(text) == expected
