"""Tests for meso.safety.red_flags (red_flags.yml validation), meso.safety.context and the Screening API."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any, Dict

import pytest
import yaml

from meso.contract import SCREEN_REASON_URGENCY as REASON_URGENCY
from meso.safety import screen as risk
from meso.safety.context import CONTEXT_RULES, load_context_rules
from meso.safety.red_flags import RedFlagsError, load_red_flags
from meso.safety.screen import Finding, RiskScreen, Screening, get_risk_screen, normalise

REPO_FLAGS = Path(risk.__file__).resolve().parents[2] / "facts" / "red_flags.yml"


def minimal() -> Dict[str, Any]:
    """A small valid red flags document."""
    reasons: Dict[str, Any] = {
        reason: {"urgency": urgency, "groups": [{"name": reason, "terms": [f"{reason} word"]}]}
        for reason, urgency in REASON_URGENCY.items()
    }
    reasons["emergency"]["groups"].append({"name": "crisis", "crisis": True, "terms": ["kill myself"]})
    reasons["complication"]["groups"] = [{"name": "skin", "needs_treatment_link": True, "terms": ["rash"]}]
    return {"version": 1, "treatment_links": {"terms": ["the injections"]}, "reasons": reasons}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "red_flags.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_repo_file_is_valid() -> None:
    flags = load_red_flags(REPO_FLAGS)
    assert {group.reason for group in flags.groups} == set(REASON_URGENCY)
    assert flags.urgency == REASON_URGENCY
    assert any(group.crisis for group in flags.groups if group.reason == "emergency")


def test_minimal_file_loads(tmp_path: Path) -> None:
    flags = load_red_flags(write(tmp_path, minimal()))
    assert len(flags.groups) == len(REASON_URGENCY) + 1


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (lambda d: d["reasons"].__setitem__("headache", {"urgency": "routine", "groups": [{"terms": ["x"]}]}),
         "reasons.headache: unknown reason 'headache'"),
        (lambda d: d["reasons"]["stroke"].__setitem__("urgency", "soon"), "reasons.stroke.urgency: bad urgency 'soon'"),
        (lambda d: d["reasons"]["stroke"].__setitem__("urgency", "urgent"), "reasons.stroke.urgency: bad urgency 'urgent'"),
        (lambda d: d["reasons"]["cancer"].__setitem__("level", "x"), "reasons.cancer: unknown key(s) ['level']"),
        (lambda d: d["reasons"]["cancer"]["groups"][0].__setitem__("term", ["x"]),
         "reasons.cancer.groups[0]: unknown key(s) ['term']"),
        (lambda d: d.__setitem__("extra", 1), "top level: unknown key(s) ['extra']"),
        (lambda d: d["reasons"]["pregnancy"]["groups"][0].__setitem__("terms", []),
         "reasons.pregnancy.groups[0] (pregnancy): empty term list"),
        (lambda d: d["reasons"]["pregnancy"].__setitem__("groups", []), "reasons.pregnancy.groups: expected a non-empty list"),
        (lambda d: d["reasons"]["minor"]["groups"][0].__setitem__("terms", ["  "]),
         "reasons.minor.groups[0] (minor).terms[0]: expected a non-empty string"),
        (lambda d: d["reasons"]["minor"]["groups"][0].__setitem__("regex", ["(unclosed"]),
         "reasons.minor.groups[0] (minor).regex[0]: invalid regular expression"),
        (lambda d: d["reasons"]["minor"]["groups"][0].__setitem__("patterns", ["not a pattern"]),
         "reasons.minor.groups[0] (minor).patterns: expected a list of spaCy token patterns"),
        (lambda d: d["reasons"]["emergency"]["groups"][1].__setitem__("crisis", "yes"),
         "reasons.emergency.groups[1] (crisis).crisis: expected true or false"),
        (lambda d: d["reasons"].pop("minor"), "reasons: missing reason(s) ['minor']"),
        (lambda d: d["treatment_links"].__setitem__("words", ["x"]), "treatment_links: unknown key(s) ['words']"),
    ],
)
def test_validation_errors_name_file_and_entry(tmp_path: Path, mutate: Any, expected: str) -> None:
    data = copy.deepcopy(minimal())
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(RedFlagsError) as excinfo:
        load_red_flags(path)
    message = str(excinfo.value)
    assert str(path) in message
    assert expected in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = copy.deepcopy(minimal())
    data["reasons"]["stroke"]["urgency"] = "soon"
    data["reasons"]["minor"]["groups"][0]["regex"] = ["(unclosed"]
    data["reasons"].pop("cancer")
    path = write(tmp_path, data)
    with pytest.raises(RedFlagsError) as excinfo:
        load_red_flags(path)
    problems = excinfo.value.problems
    assert len(problems) == 3, problems
    assert all(str(path) in problem for problem in problems)
    assert any("reasons.stroke.urgency: bad urgency 'soon'" in p for p in problems)
    assert any("reasons.minor.groups[0] (minor).regex[0]: invalid regular expression" in p for p in problems)
    assert any("reasons: missing reason(s) ['cancer']" in p for p in problems)


def test_context_rules_are_data_for_both_languages() -> None:
    english, spanish = (load_context_rules(CONTEXT_RULES[language]) for language in ("en", "es"))
    assert english["medspacy_defaults"] is True and "free" in english["dropped_default_rules"]
    assert not spanish.get("medspacy_defaults")
    for data in (english, spanish):
        assert data["rules"] and all(set(rule) >= {"literal", "category"} for rule in data["rules"])
        assert set(data["first_person"]) and set(data["present_words"]) and data["me_too"]


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "red_flags.yml"
    bad.write_text("reasons: [unclosed", encoding="utf-8")
    with pytest.raises(RedFlagsError, match="invalid YAML"):
        load_red_flags(bad)
    with pytest.raises(RedFlagsError, match="cannot read"):
        RiskScreen(tmp_path / "missing.yml")


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    # A second `regex:` in a group would otherwise drop every pattern of the first.
    text = yaml.safe_dump(minimal(), sort_keys=False).replace("    groups:\n", "    groups: []\n    groups:\n", 1)
    bad = tmp_path / "red_flags.yml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(RedFlagsError, match="duplicate key"):
        load_red_flags(bad)


def test_screen_built_from_custom_file(tmp_path: Path) -> None:
    screen = RiskScreen(write(tmp_path, minimal()))
    assert screen.screen("I have stroke word").reasons == ["stroke"]
    assert not screen.screen("I have a rash").is_risky  # no link to a treatment
    assert screen.screen("I have a rash from the injections").reasons == ["complication"]
    crisis = screen.screen("I want to kill myself")
    assert crisis.is_crisis and crisis.is_emergency


def test_screening_api() -> None:
    empty = Screening()
    assert not empty.is_risky and empty.urgency is None and empty.reasons == []
    assert not empty.is_emergency and not empty.is_crisis
    assert empty.as_dict() == {"urgency": None, "reasons": [], "crisis": False, "findings": []}

    findings = (
        Finding("pregnancy", "routine", "pregnant"),
        Finding("complication", "urgent", "pus"),
        Finding("minor", "routine", "im 15"),
        Finding("emergency", "emergency", "kill myself", crisis=True),
        Finding("pregnancy", "routine", "preg"),
    )
    screening = Screening(findings)
    assert screening.is_risky and screening.is_emergency and screening.is_crisis
    assert screening.urgency == "emergency"
    assert screening.reasons == ["emergency", "complication", "pregnancy", "minor"]
    data = screening.as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["findings"][3] == {"reason": "emergency", "urgency": "emergency", "term": "kill myself", "crisis": True}
    with pytest.raises(AttributeError):
        screening.findings = ()  # type: ignore[misc]


def test_live_screen_orders_reasons_and_keeps_terms() -> None:
    result = get_risk_screen().screen("I'm 14 and pregnant and I can't breathe")
    assert result.reasons == ["emergency", "minor", "pregnancy"]
    assert result.urgency == "emergency"
    assert {f.reason: f.term for f in result.findings}["emergency"] == "can't breathe"


def test_get_risk_screen_is_cached() -> None:
    assert get_risk_screen() is get_risk_screen()


def test_empty_and_whitespace_messages() -> None:
    screen = get_risk_screen()
    assert screen.screen("") == Screening()
    assert screen.screen("   \n ") == Screening()


def test_normalise() -> None:
    assert normalise("  I\u2019m   pregnant \n how much ") == "I'm pregnant. how much"
    assert normalise("hi.\nthere") == "hi. there"


def test_message_text_is_not_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="meso.safety.screen"):
        get_risk_screen().screen("I had a stroke in 2019")
    assert "stroke in 2019" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.INFO]
