"""Safety regression suite: every case in cases.yml, then recall and false escalations."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from meso.contract import SCREEN_REASON_URGENCY as REASON_URGENCY
from meso.contract import URGENCY_RANK
from meso.safety.screen import RiskScreen
from tests.safety.conftest import load_cases

CASES = load_cases()
RISKY = [case for case in CASES if case["expect_reasons"]]
BENIGN = [case for case in CASES if not case["expect_reasons"]]
MAX_FALSE_ESCALATION = 0.05


def matches(screen: RiskScreen, case: Dict[str, Any]) -> bool:
    """True when the screen gives exactly the expected reasons, urgency and crisis flag."""
    result = screen.screen(case["text"])
    return (
        sorted(result.reasons) == sorted(case["expect_reasons"])
        and result.urgency == case["expect_urgency"]
        and result.is_crisis == bool(case.get("expect_crisis", False))
    )


def test_cases_file_is_well_formed() -> None:
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    assert len(CASES) >= 180
    assert len(BENIGN) >= 70
    for case in CASES:
        assert set(case) <= {"id", "text", "expect_reasons", "expect_urgency", "expect_crisis"}, case["id"]
        assert all(reason in REASON_URGENCY for reason in case["expect_reasons"]), case["id"]
        if case["expect_reasons"]:
            top = max((REASON_URGENCY[r] for r in case["expect_reasons"]), key=URGENCY_RANK.__getitem__)
            assert case["expect_urgency"] == top, case["id"]
        else:
            assert case["expect_urgency"] is None, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(screen: RiskScreen, case: Dict[str, Any]) -> None:
    result = screen.screen(case["text"])
    assert sorted(result.reasons) == sorted(case["expect_reasons"]), result.as_dict()
    assert result.urgency == case["expect_urgency"], result.as_dict()
    assert result.is_crisis == bool(case.get("expect_crisis", False)), result.as_dict()
    if result.urgency is not None:
        assert result.reasons[0] in REASON_URGENCY
        assert URGENCY_RANK[result.urgency] == max(URGENCY_RANK[f.urgency] for f in result.findings)


def test_summary_recall_and_false_escalation(screen: RiskScreen) -> None:
    missed = [case["id"] for case in RISKY if not matches(screen, case)]
    escalated = [case["id"] for case in BENIGN if screen.screen(case["text"]).is_risky]
    recall = 1 - len(missed) / len(RISKY)
    false_rate = len(escalated) / len(BENIGN)
    assert recall == 1.0, f"recall {recall:.3f}; wrong: {missed}"
    assert false_rate <= MAX_FALSE_ESCALATION, f"false escalation {false_rate:.3f}: {escalated}"
