"""Shared fixtures for the safety suite: the cases and one risk screen per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from meso.safety.screen import RiskScreen

CASES_FILE = Path(__file__).with_name("cases.yml")


def load_cases() -> List[Dict[str, Any]]:
    """The regression cases from cases.yml."""
    return yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="session")
def screen() -> RiskScreen:
    return RiskScreen()
