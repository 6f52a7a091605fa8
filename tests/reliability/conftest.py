"""Writes the figures the reliability tests measured to results/reliability.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from tests.reliability.support import FIGURES

RESULTS = Path(__file__).resolve().parents[2] / "results" / "reliability.json"


@pytest.fixture(scope="session", autouse=True)
def figures_file() -> Iterator[None]:
    yield
    if not FIGURES:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**known, **FIGURES}, indent=2, sort_keys=True) + "\n")
