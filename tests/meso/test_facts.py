"""The shipped facts file, the loader's validation, and live reload."""

from __future__ import annotations

import copy
import logging
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meso.content.facts import (
    BODY_AREAS,
    SMS_LIMIT,
    TOPICS,
    FactsError,
    FactsStore,
    cite,
    default_facts_path,
    load_facts,
)
from meso.settings import PROJECT_ROOT, Settings

SHIPPED = PROJECT_ROOT / "facts" / "facts.yml"
SECRET_TEXT = "Patient-facing words that must never reach a log line"

MINIMAL: Dict[str, Any] = {
    "documents": {"article": {"title": "The article", "path": "seeds/article.txt"}},
    "topics": {"cost": "Cost", "areas": "Treatable areas"},
    "facts": [
        {
            "id": "cost-depends",
            "topic": "cost",
            "questions": ["What does the cost depend on?", "Why does the price vary?"],
            "web": "The cost depends on several things.",
            "sms": "Cost depends on several things.",
            "source": {"document": "article", "paragraph": 10},
            "reviewed_by": "content team",
            "reviewed_on": "2026-11-25",
        },
        {
            "id": "areas-general",
            "topic": "areas",
            "questions": ["What areas can be treated?"],
            "web": "Many places can be treated.",
            "sms": "Many places can be treated.",
            "source": {"document": "article", "paragraph": 3},
            "reviewed_by": "content team",
            "reviewed_on": "2026-11-25",
        },
        {
            "id": "areas-chin",
            "topic": "areas",
            "questions": ["Can it treat a double chin?"],
            "areas": ["chin"],
            "web": "Fat under the chin.",
            "sms": "Fat under the chin.",
            "source": {"document": "article", "paragraph": 2},
            "reviewed_by": "content team",
            "reviewed_on": "2026-11-25",
        },
    ],
    "not_covered": [
        {"id": "insurance", "subject": "insurance coverage", "questions": ["Does insurance cover it?"]},
    ],
    "clinic_details": {"phone": ["What is your phone number?"]},
}


def write(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def broken(tmp_path: Path, change: Callable[[Dict[str, Any]], None]) -> FactsError:
    """Loads MINIMAL after `change` and returns the error it must raise."""
    data = copy.deepcopy(MINIMAL)
    change(data)
    path = write(tmp_path / "facts.yml", data)
    with pytest.raises(FactsError) as caught:
        load_facts(path)
    assert str(path) in str(caught.value)
    return caught.value


# --- the shipped file ------------------------------------------------------


def test_shipped_file_loads_and_covers_every_contract_topic() -> None:
    book = load_facts(SHIPPED)
    assert list(book.topics) == list(TOPICS)
    for topic in TOPICS:
        assert book.for_topic(topic), topic
        assert book.topics[topic]


def test_shipped_sms_texts_fit_and_are_plain() -> None:
    for fact in load_facts(SHIPPED).facts:
        assert len(fact.sms) <= SMS_LIMIT, fact.id
        assert fact.sms.isascii() and fact.web.isascii(), fact.id
        assert "\n" not in fact.sms and "*" not in fact.sms, fact.id


def test_shipped_facts_are_sourced_and_marked_for_review() -> None:
    raw = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    for document in raw["documents"].values():
        assert not Path(document["path"]).is_absolute()
    for fact in load_facts(SHIPPED).facts:
        assert fact.source.paragraph >= 1
        assert "pending" in fact.reviewed_by
        assert isinstance(fact.reviewed_on, date)


def test_shipped_facts_keep_the_articles_caveats() -> None:
    book = load_facts(SHIPPED)
    assert "both sides" in book.for_topic("safety")[0].web
    assert "sixteen and over" in book.for_topic("age_limit")[0].web
    assert "one session" in book.for_topic("sessions_number")[0].web
    assert any(entry.subject == "how many sessions a patient needs" for entry in book.not_covered)
    contraindications = book.for_topic("contraindications")[0].web
    for condition in ("pregnant", "blood clots", "strokes", "cancer"):
        assert condition in contraindications


def test_area_questions_get_that_areas_facts_first() -> None:
    book = load_facts(SHIPPED)
    assert "chin" in book.for_topic("areas", "chin")[0].web
    assert book.for_topic("areas", "eyes")[0].topic == "face"  # found across topics
    arms = book.for_topic("areas", "arms")
    assert "arms" in arms[0].areas
    assert all("chin" not in fact.areas for fact in arms)
    assert book.for_topic("cost", "arms") == book.for_topic("cost")  # no cost fact per area


def test_citation_names_the_document_and_paragraph() -> None:
    fact = load_facts(SHIPPED).get("needles-size")
    assert fact is not None
    assert cite(fact) == f"Source: {fact.source.title}, paragraph 12"


def test_default_path_follows_facts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACTS_DIR", str(tmp_path))
    assert default_facts_path(Settings()) == tmp_path / "facts.yml"
    monkeypatch.setenv("FACTS_DIR", "facts")
    assert default_facts_path(Settings()) == SHIPPED


# --- the loader ------------------------------------------------------------


def test_minimal_file_loads_with_lookups(tmp_path: Path) -> None:
    book = load_facts(write(tmp_path / "facts.yml", MINIMAL))
    assert [fact.id for fact in book.for_topic("areas")] == ["areas-general", "areas-chin"]
    assert [fact.id for fact in book.for_topic("areas", "chin")] == ["areas-chin", "areas-general"]
    assert [fact.id for fact in book.for_topic("areas", "legs")] == ["areas-general"]
    assert book.for_topic("pain") == []
    assert book.get("cost-depends").source.title == "The article"  # type: ignore[union-attr]
    assert book.get("nope") is None
    assert book.get("areas-chin").areas == ("chin",)  # type: ignore[union-attr]


def test_unquoted_yaml_date_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "facts.yml", MINIMAL)
    path.write_text(path.read_text().replace("'2026-11-25'", "2026-11-25"))
    assert load_facts(path).facts[0].reviewed_on == date(2026, 11, 25)


def test_missing_source(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][1].pop("source"))
    assert "fact 'areas-general' (entry 2): missing source" in str(error)


def test_missing_paragraph(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][0]["source"].pop("paragraph"))
    assert "fact 'cost-depends' (entry 1): source is missing its paragraph" in str(error)


def test_unknown_document(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][2]["source"].update(document="blog"))
    assert "fact 'areas-chin' (entry 3): source document 'blog' is not in 'documents'" in str(error)


def test_duplicate_id(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][2].update(id="areas-general"))
    assert "fact 'areas-general' (entry 3): duplicate id, already used by entry 2" in str(error)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["facts"][0].update(answer="x"), "fact 'cost-depends' (entry 1): unknown key 'answer'"),
        (lambda d: d["facts"][0]["source"].update(page=3), "(entry 1): unknown key 'page' in source"),
        (lambda d: d.update(extras=[]), "unknown top-level key 'extras'"),
    ],
    ids=["fact", "source", "top-level"],
)
def test_unknown_key(tmp_path: Path, change: Callable[[Dict[str, Any]], None], expected: str) -> None:
    assert expected in str(broken(tmp_path, change))


def test_sms_over_the_limit(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][0].update(sms="x" * 341))
    assert "fact 'cost-depends' (entry 1): sms text is 341 characters, the limit is 320" in str(error)


def test_sms_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = copy.deepcopy(MINIMAL)
    data["facts"][0]["sms"] = "x" * SMS_LIMIT
    assert len(load_facts(write(tmp_path / "facts.yml", data)).facts[0].sms) == SMS_LIMIT


def test_unknown_topic(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][0].update(topic="prices"))
    assert "fact 'cost-depends' (entry 1): unknown topic 'prices'" in str(error)


def test_topic_missing_from_topics_map(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["facts"][0].update(topic="pain"))
    assert "(entry 1): unknown topic 'pain' in 'topics'" in str(error)


def test_topic_outside_the_contract(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["topics"].update(prices="Prices"))
    assert "unknown topic 'prices' in 'topics'" in str(error)


def test_every_listed_topic_needs_a_fact(tmp_path: Path) -> None:
    error = broken(tmp_path, lambda d: d["topics"].update(pain="Pain"))
    assert "topic 'pain' has no facts" in str(error)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["facts"][2].update(areas=["elbow"]), "(entry 3): unknown area 'elbow'"),
        (lambda d: d["facts"][0].update(web="   "), "(entry 1): web text is empty"),
        (lambda d: d["facts"][0].update(sms=""), "(entry 1): sms text is empty"),
        (lambda d: d["facts"][0].update(reviewed_on="25/11/2026"), "(entry 1): reviewed_on must be an ISO date"),
        (lambda d: d["facts"][0].update(reviewed_by=None), "(entry 1): missing reviewed_by"),
        (lambda d: d["facts"][0].update(id="Cost Depends"), "(entry 1): id must be a slug"),
        (lambda d: d["facts"][0]["source"].update(paragraph=0), "(entry 1): source paragraph must be"),
        (lambda d: d["documents"]["article"].pop("title"), "document 'article': missing title"),
        (lambda d: d["facts"][0].pop("questions"), "(entry 1): missing questions"),
        (lambda d: d["facts"][0].update(questions=[]), "(entry 1): questions must be a non-empty list"),
        (lambda d: d["facts"][0].update(questions=["Why?", " "]), "(entry 1): question 2 is empty"),
        (lambda d: d["facts"][0].update(questions=["Why?", "why?"]), "(entry 1): question 2 repeats"),
        (lambda d: d["facts"][0].update(questions=["x" * 301]), "(entry 1): question 1 is 301 characters"),
        (
            lambda d: d["facts"][1].update(questions=["What does the cost depend on?"]),
            "fact 'areas-general': question 'What does the cost depend on?' is also listed under fact 'cost-depends'",
        ),
        (lambda d: d["not_covered"][0].pop("subject"), "not_covered 'insurance' (entry 1): missing subject"),
        (lambda d: d["not_covered"][0].update(related="nope"), "related fact 'nope' is not a fact id"),
        (lambda d: d["not_covered"][0].update(id="cost-depends"), "(entry 1): duplicate id"),
        (lambda d: d["not_covered"][0].update(extra=1), "not_covered 'insurance' (entry 1): unknown key 'extra'"),
        (lambda d: d["not_covered"][0].update(names="Kybella"), "(entry 1): names must be a list of product names"),
        (lambda d: d["clinic_details"].update(fax=["Fax?"]), "clinic_details 'fax': unknown clinic detail"),
    ],
    ids=["area", "empty-web", "empty-sms", "date", "reviewer", "slug", "paragraph", "title", "no-questions", "empty-questions", "blank-question", "repeated-question", "long-question", "question-twice", "no-subject", "related", "nc-duplicate", "nc-key", "nc-names", "clinic-detail"],
)
def test_other_validation_errors(
    tmp_path: Path, change: Callable[[Dict[str, Any]], None], expected: str
) -> None:
    assert expected in str(broken(tmp_path, change))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    def two_problems(d: Dict[str, Any]) -> None:
        d["facts"][0]["sms"] = "x" * 400
        d["facts"][2]["topic"] = "prices"

    error = broken(tmp_path, two_problems)
    assert len(error.problems) == 2
    assert all(line.startswith(str(tmp_path / "facts.yml")) for line in error.problems)


def test_yaml_errors_give_the_position_not_the_text(tmp_path: Path) -> None:
    path = tmp_path / "facts.yml"
    path.write_text(f"documents: {{\nfacts: [{SECRET_TEXT}: : ]\n", encoding="utf-8")
    with pytest.raises(FactsError) as caught:
        load_facts(path)
    assert str(path) in str(caught.value) and "line" in str(caught.value)
    assert SECRET_TEXT not in str(caught.value)


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "facts.yml", MINIMAL)
    path.write_text(path.read_text().replace("  sms: Cost depends", "  sms: one\n  sms: Cost depends", 1))
    with pytest.raises(FactsError, match="duplicate key 'sms'"):
        load_facts(path)


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(["id", "topic", "areas", "web", "sms", "source", "reviewed_by", "reviewed_on"]),
    value=YAML_VALUES,
)
def test_any_malformed_field_gives_a_facts_error(tmp_path: Path, field: str, value: Any) -> None:
    data = copy.deepcopy(MINIMAL)
    data["facts"][2][field] = value
    try:
        load_facts(write(tmp_path / "facts.yml", data))
    except FactsError as error:
        assert "(entry 3)" in str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    where=st.sampled_from(["documents", "topics", "facts", "source.document", "source.paragraph"]),
    value=YAML_VALUES,
)
def test_any_malformed_structure_gives_a_facts_error(tmp_path: Path, where: str, value: Any) -> None:
    data = copy.deepcopy(MINIMAL)
    if where.startswith("source."):
        data["facts"][0]["source"][where.split(".")[1]] = value
    else:
        data[where] = value
    try:
        load_facts(write(tmp_path / "facts.yml", data))
    except FactsError as error:
        assert str(tmp_path / "facts.yml") in str(error)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FactsError, match="cannot read"):
        load_facts(tmp_path / "absent.yml")


# --- live reload -------------------------------------------------------------


def edited(data: Dict[str, Any], web: str) -> Dict[str, Any]:
    data = copy.deepcopy(data)
    data["facts"][0]["web"] = web
    return data


def wait_for(condition: Callable[[], bool], seconds: float = 2.0) -> float:
    """Polls `condition` like live traffic would; returns the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > seconds:
            raise AssertionError(f"not true within {seconds} s")
        time.sleep(0.05)
    return time.monotonic() - start


def test_an_edit_goes_live_within_two_seconds(tmp_path: Path) -> None:
    path = write(tmp_path / "facts.yml", MINIMAL)
    store = FactsStore(path)
    assert store.current().facts[0].web == "The cost depends on several things."
    write(path, edited(MINIMAL, "Edited by staff."))
    wait_for(lambda: store.current().facts[0].web == "Edited by staff.")
    assert store.last_error is None


def test_a_broken_edit_keeps_the_last_good_book(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path / "facts.yml", MINIMAL)
    store = FactsStore(path)
    good = store.current()
    bad = edited(MINIMAL, SECRET_TEXT)
    bad["facts"][0]["sms"] = SECRET_TEXT * 10  # over the limit
    with caplog.at_level(logging.ERROR, logger="meso.content.facts"):
        write(path, bad)
        wait_for(lambda: store.current() is good and store.last_error is not None)
    assert store.current() is good
    assert "(entry 1): sms text is" in (store.last_error or "")
    assert "invalid" in caplog.text and SECRET_TEXT not in caplog.text
    assert SECRET_TEXT not in (store.last_error or "")
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1  # logged once per version

    write(path, edited(MINIMAL, "Fixed."))
    wait_for(lambda: store.current().facts[0].web == "Fixed.")
    assert store.last_error is None


def test_a_deleted_file_keeps_the_last_good_book(tmp_path: Path) -> None:
    path = write(tmp_path / "facts.yml", MINIMAL)
    store = FactsStore(path, check_interval=0)
    good = store.current()
    path.unlink()
    assert store.current() is good
    assert "file not found" in (store.last_error or "")


def test_the_file_is_checked_at_most_once_per_interval(tmp_path: Path) -> None:
    now = [100.0]
    path = write(tmp_path / "facts.yml", MINIMAL)
    store = FactsStore(path, check_interval=0.5, clock=lambda: now[0])
    store.current()
    write(path, edited(MINIMAL, "Edited."))
    now[0] += 0.4
    assert store.current().facts[0].web != "Edited."
    now[0] += 0.2
    assert store.current().facts[0].web == "Edited."


def test_a_store_that_never_loaded_raises(tmp_path: Path) -> None:
    path = write(tmp_path / "facts.yml", {"facts": []})
    store = FactsStore(path)
    with pytest.raises(FactsError):
        store.current()
    assert store.last_error


def test_body_areas_match_the_contract() -> None:
    contract = (PROJECT_ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    line = next(row for row in contract.splitlines() if "canonical values" in row)
    assert set(line.split(":", 1)[1].strip(" .").split(", ")) == BODY_AREAS
    section = contract.split("## Facts topics", 1)[1].split("##", 1)[0]
    topics_list = section.split(":", 1)[1].split("\n\n", 1)[0]
    listed = {word.strip(" .,\n") for word in topics_list.replace("\n", " ").split(",")}
    assert listed == set(TOPICS)
