"""Spanish safety suite: tests/safety/cases_es.yml and the dev half of eval/es, through the
bilingual screen the assistant runs (English and Spanish terms on every message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from meso.contract import SCREEN_REASON_URGENCY as REASON_URGENCY
from meso.safety.screen import BilingualScreen, get_risk_screen

HERE = Path(__file__).resolve().parent
ES_CASES = yaml.safe_load((HERE / "cases_es.yml").read_text(encoding="utf-8"))["cases"]
ES_DEV = yaml.safe_load((HERE.parents[1] / "eval" / "es" / "dev.yml").read_text(encoding="utf-8"))["messages"]


@pytest.fixture(scope="module")
def bilingual() -> BilingualScreen:
    return get_risk_screen()


def check(screen: BilingualScreen, case: Dict[str, Any]) -> None:
    result = screen.screen(case["text"])
    assert sorted(result.reasons) == sorted(case["expect_reasons"]), result.as_dict()
    assert result.urgency == case["expect_urgency"], result.as_dict()
    assert result.is_crisis == bool(case.get("expect_crisis", False)), result.as_dict()


def test_cases_file_is_well_formed() -> None:
    ids: List[str] = [case["id"] for case in ES_CASES]
    assert len(ids) == len(set(ids))
    for case in ES_CASES:
        assert all(reason in REASON_URGENCY for reason in case["expect_reasons"]), case["id"]


@pytest.mark.parametrize("case", ES_CASES, ids=[case["id"] for case in ES_CASES])
def test_spanish_case(bilingual: BilingualScreen, case: Dict[str, Any]) -> None:
    check(bilingual, case)


@pytest.mark.parametrize("case", ES_DEV, ids=[case["id"] for case in ES_DEV])
def test_spanish_dev_message(bilingual: BilingualScreen, case: Dict[str, Any]) -> None:
    check(bilingual, case)


def test_accents_are_optional(bilingual: BilingualScreen) -> None:
    for with_accents, without in [
        ("Tengo cáncer de piel", "tengo cancer de piel"),
        ("Tuve un coágulo en el pulmón", "tuve un coagulo en el pulmon"),
        ("Tengo 15 años", "tengo 15 anos"),
    ]:
        assert bilingual.screen(with_accents).reasons == bilingual.screen(without).reasons != []


def test_shared_word_is_read_in_the_message_language(bilingual: BilingualScreen) -> None:
    # "cancer" is an English and a Spanish term: the Spanish negation reads it here...
    assert bilingual.screen("cero cancer, cero derrames, nomas la lonja de la panza").reasons == []
    # ...and the English rules read it in English.
    assert bilingual.screen("I was treated for cancer last year").reasons == ["cancer"]
    assert bilingual.screen("tuve cancer hace dos años").reasons == ["cancer"]
