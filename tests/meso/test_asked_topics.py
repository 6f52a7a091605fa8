"""Which topics a message asks about: clauses first, in the order asked."""

from __future__ import annotations

from meso.answers import asked_topics
from meso.facts import default_facts_path, load_facts

BOOK = load_facts(default_facts_path())


def clause(intent: str, confidence: float = 0.99) -> dict:
    return {"start": 0, "end": 1, "intent": intent, "confidence": confidence}


def test_each_clause_topic_in_the_order_asked() -> None:
    clauses = [clause("ask_cost"), clause("ask_pain")]
    assert asked_topics("ask_pain", [], BOOK, clauses) == ["cost", "pain"]


def test_unsure_clause_is_ignored() -> None:
    clauses = [clause("ask_cost"), clause("ask_pain", 0.3)]
    assert asked_topics("ask_cost", [], BOOK, clauses) == ["cost"]


def test_clause_that_is_not_a_topic_is_ignored() -> None:
    clauses = [clause("greet"), clause("ask_recovery")]
    assert asked_topics("ask_recovery", [], BOOK, clauses) == ["recovery"]


def test_no_clauses_falls_back_to_intent_and_ranking() -> None:
    ranking = [{"name": "ask_cost", "confidence": 0.7}, {"name": "ask_pain", "confidence": 0.25}]
    assert asked_topics("ask_cost", ranking, BOOK) == ["cost", "pain"]


def test_at_most_two_topics() -> None:
    clauses = [clause("ask_cost"), clause("ask_pain"), clause("ask_recovery")]
    assert asked_topics("ask_cost", [], BOOK, clauses) == ["cost", "pain"]


def test_unknown_intent_gives_no_topic() -> None:
    assert asked_topics("ask_weather", [], BOOK) == []
