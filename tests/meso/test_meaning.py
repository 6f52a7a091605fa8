"""The answer index's meaning view: the real word vectors `make setup` puts in models/meaning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import meso.content.index as index_module
from meso.content.answerability import ANSWER_MARGIN
from meso.content.facts import load_facts
from meso.content.index import AnswerIndex
from meso.content.meaning import MeaningModel, shared_model
from meso.content.respond import decide_question
from meso.settings import PROJECT_ROOT

ENGLISH = load_facts(PROJECT_ROOT / "facts" / "facts.yml")


def similarity(first: str, second: str) -> float:
    vectors = shared_model().embed([first, second])
    return float(vectors[0] @ vectors[1])


def test_vectors_are_unit_length_and_nothing_is_the_zero_vector() -> None:
    vectors = shared_model().embed(["how much does it cost", "", "¿cuánto cuesta?"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1].any()


def test_a_paraphrase_is_nearer_than_a_question_on_another_subject() -> None:
    assert similarity("which drugs are administered", "what is in the injections") > similarity(
        "which drugs are administered", "can I go back to work the next day"
    )
    assert similarity("will I see a difference soon", "when will I see results") > similarity(
        "will I see a difference soon", "how much does it cost"
    )


def test_a_missing_model_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make setup"):
        MeaningModel(tmp_path)


def test_the_meaning_view_makes_a_paraphrase_decisive(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "what substances do you put in me"
    decision = decide_question(question, AnswerIndex(ENGLISH))
    assert (decision.outcome, decision.key) == ("not_covered", "ingredients")
    # Words alone find the same entry but barely ahead of "do they put you under?".
    monkeypatch.setattr(index_module, "MEANING_WEIGHT", 0.0)
    first, second = AnswerIndex(ENGLISH).search(question)[:2]
    assert first.entry.key == "ingredients" and first.score - second.score < ANSWER_MARGIN
