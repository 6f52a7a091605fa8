"""Actions run against the real facts file and a real SQLite escalation store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker

from actions import services

MakeTracker = Callable[..., Tracker]


@pytest.fixture(autouse=True)
def isolated_services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ESCALATION_DB_URL", f"sqlite:///{tmp_path / 'escalations.db'}")
    monkeypatch.setenv("CLINIC_PHONE", "(818) 555-0100")
    for cached in (services.settings, services.facts_store, services.published_facts, services.clinic, services.escalations, services.unanswered):
        cached.cache_clear()
    yield
    if services.escalations.cache_info().currsize:
        services.escalations().stop_drainers()  # no thread outlives its test's database
    for cached in (services.settings, services.facts_store, services.published_facts, services.clinic, services.escalations, services.unanswered):
        cached.cache_clear()


@pytest.fixture()
def make_tracker() -> MakeTracker:
    def build(
        text: str,
        intent: str,
        *,
        confidence: float = 0.95,
        ranking: Optional[List[Dict[str, Any]]] = None,
        entities: Optional[List[Dict[str, Any]]] = None,
        risk: Optional[Dict[str, Any]] = None,
        slots: Optional[Dict[str, Any]] = None,
        channel: str = "rest",
        sender: str = "patient-1",
    ) -> Tracker:
        message: Dict[str, Any] = {
            "text": text,
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
            "entities": entities or [],
        }
        if risk is not None:
            message["risk"] = risk
        events = [{"event": "user", "text": text, "parse_data": message, "input_channel": channel}]
        return Tracker(sender, slots or {}, message, events, False, None, {}, "action_listen")

    return build
