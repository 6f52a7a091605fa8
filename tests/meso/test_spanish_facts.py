"""Tests for meso.content.spanish: facts_es.yml validated against facts.yml, and the
Spanish answers, the untranslated fallback and the SMS segments of the Spanish texts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from meso.content.answers import facts_reply
from meso.content.clinic import load_clinic
from meso.content.facts import FactsError, load_facts
from meso.content.index import AnswerIndex
from meso.content.phrases import PHRASES
from meso.content.respond import respond
from meso.content.spanish import SpanishCache, load_spanish
from meso.settings import PROJECT_ROOT
from meso.sms.segments import gsm_friendly, segments

FACTS = PROJECT_ROOT / "facts"
ENGLISH = load_facts(FACTS / "facts.yml")


def spanish_file(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "facts_es.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_project_file_is_valid_and_translates_every_fact() -> None:
    book = load_spanish(FACTS / "facts_es.yml", ENGLISH)
    assert book.language == "es" and not book.untranslated
    assert [fact.id for fact in book.facts] == [fact.id for fact in ENGLISH.facts]
    for fact in book.facts:
        english = ENGLISH.get(fact.id)
        assert english is not None and fact.source == english.source  # the same source
        assert fact.questions and fact.web != english.web and fact.reviewed_by


def test_every_spanish_sms_costs_no_more_segments_than_the_english_one() -> None:
    book = load_spanish(FACTS / "facts_es.yml", ENGLISH)
    for fact in book.facts:
        english = ENGLISH.get(fact.id)
        assert english is not None
        assert segments(fact.sms).encoding == "GSM-7", fact.id
        assert segments(fact.sms).count <= segments(english.sms).count, fact.id


@pytest.mark.parametrize(
    "entry,problem",
    [
        ({"no-such-fact": {"questions": ["hola?"]}}, "is not a fact id"),
        ({"cost-per-session": {"questions": ["cuanto?"], "web": "Cuesta mucho."}}, "missing sms"),
        ({"cost-per-session": {"questions": ["cuanto?"], "web": "x", "sms": "y" * 321, "reviewed_by": "t",
                               "reviewed_on": "2026-12-02"}}, "limit is 320"),
        ({"cost-per-session": {"questions": ["cuanto?"], "web": "x", "sms": "y", "reviewed_by": "t",
                               "reviewed_on": "yesterday"}}, "ISO date"),
        ({"cost-per-session": {"questions": ["cuanto?"], "invented": "x"}}, "unknown key 'invented'"),
        ({"cost-per-session": {"questions": ["cuanto?"]}, "cost-depends": {"questions": ["cuanto?"]}}, "cuanto?"),
    ],
)
def test_problems_name_the_file_and_entry(tmp_path: Path, entry: dict, problem: str) -> None:
    with pytest.raises(FactsError) as error:
        load_spanish(spanish_file(tmp_path, {"facts": entry}), ENGLISH)
    assert problem in str(error.value) and "facts_es.yml" in str(error.value)


def test_an_untranslated_fact_is_given_in_english_behind_a_spanish_note(tmp_path: Path) -> None:
    path = spanish_file(tmp_path, {"facts": {"cost-per-session": {"questions": ["cuanto cuesta la sesion?"]}}})
    book = load_spanish(path, ENGLISH)
    assert "cost-per-session" in book.untranslated
    english = ENGLISH.get("cost-per-session")
    assert english is not None
    reply = facts_reply([book.get("cost-per-session")], book)  # type: ignore[list-item]
    assert reply.text == f"Esta información solo está en inglés por ahora: {english.web}"
    answer = respond("cuanto cuesta la sesion?", book, AnswerIndex(book), load_clinic(FACTS / "clinic.yml"))
    assert answer.facts == ("cost-per-session",)
    assert "personal que habla español" in answer.reply.text and answer.reply.buttons


def test_spanish_answers_and_declines() -> None:
    book = load_spanish(FACTS / "facts_es.yml", ENGLISH)
    index, clinic = AnswerIndex(book), load_clinic(FACTS / "clinic.yml")
    cost = respond("cuanto cuesta una sesion?", book, index, clinic)
    assert cost.facts == ("cost-per-session",) and cost.reply.text.startswith("El artículo dice")
    assert cost.reply.sources[0].startswith("Fuente:")
    insurance = respond("lo cubre el seguro?", book, index, clinic)
    assert not insurance.facts and insurance.reply.text.startswith("No tengo información sobre la cobertura del seguro")


def test_an_invalid_spanish_file_keeps_patients_answered(tmp_path: Path) -> None:
    path = spanish_file(tmp_path, {"facts": {"no-such-fact": {}}})
    cache = SpanishCache(path)
    book = cache.get(ENGLISH)
    assert cache.error is not None and book.language == "es" and len(book.untranslated) == len(ENGLISH.facts)


def test_every_phrase_has_english_and_spanish_with_the_same_fields() -> None:
    import string

    for key, texts in PHRASES.items():
        assert set(texts) == {"en", "es"}, key
        fields = [{name for _, name, _, _ in string.Formatter().parse(text) if name} for text in texts.values()]
        assert fields[0] == fields[1] or not texts["en"], key


def test_segments_count_gsm7_and_ucs2() -> None:
    assert segments("a" * 160).count == 1 and segments("a" * 161).count == 2
    assert segments("á" * 70) == segments("á" * 70) and segments("á" * 70).encoding == "UCS-2"
    assert segments("á" * 71).count == 2 and segments("ñé¿¡").encoding == "GSM-7"
    assert segments("€").units == 2
    assert gsm_friendly("Está aquí, qué útil") == "Esta aqui, qué util"
