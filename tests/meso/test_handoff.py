"""What the patient is told about the hand-off: alerted only with an alert channel and a committed case."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from meso.cases import handoff
from meso.cases.escalations import EscalationStore, dispose_engines
from meso.cases.spool import ResilientEscalations, Spool
from meso.notify.alerts import channel_status, start_banner
from meso.settings import Settings
from meso.store.tables import outbox_table


@pytest.fixture()
def resilient(tmp_path: Path) -> Iterator[ResilientEscalations]:
    yield ResilientEscalations(
        EscalationStore(f"sqlite:///{tmp_path / 'escalations.db'}", alert_channels=()), Spool(tmp_path / "spool")
    )
    dispose_engines()


def test_case_for_a_turn() -> None:
    assert handoff.case_for({"reasons": ["pregnancy"], "urgency": "routine", "unconfirmed": "emergency"}) == (
        "routine",
        ["pregnancy"],
    )
    assert handoff.case_for({"reasons": [], "urgency": None, "unconfirmed": "crisis"}) == (
        "urgent",
        ["possible_emergency"],
    )
    assert handoff.case_for({"reasons": [], "urgency": None}) is None
    assert handoff.turn_key({"turn": "ab12"}) == "turn-ab12"
    assert handoff.turn_key({"turn": "../x"}) is None and handoff.turn_key({}) is None


def test_states_follow_the_outcome_and_the_channels(resilient: ResilientEscalations) -> None:
    outcome = resilient.record("c1", "rest", "emergency", ["emergency"], "can't breathe")
    assert handoff.handoff_state(outcome, "emergency", ()) == handoff.QUEUED
    assert handoff.handoff_state(outcome, "emergency", ("webhook",)) == handoff.ALERTED
    assert handoff.handoff_state(outcome, "routine", ("webhook",)) == handoff.QUEUED  # routine is not alerted
    assert handoff.handoff_state(None, "emergency", ("webhook",)) == handoff.NOT_STORED
    with resilient.store.engine.connect() as connection:  # no channel: no alert was queued
        assert connection.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 0


def test_sentences_promise_only_what_happened() -> None:
    assert "alerted" in handoff.emergency_follow_up(handoff.ALERTED, "call us")
    assert "alerted" not in handoff.emergency_follow_up(handoff.QUEUED, "call us")
    assert "queue" in handoff.emergency_follow_up(handoff.QUEUED, "call us")
    assert "call us" in handoff.emergency_follow_up(handoff.NOT_STORED, "call us")
    assert handoff.staff_sentence(handoff.NOT_STORED) is None
    unconfirmed = handoff.unconfirmed_reply(handoff.QUEUED, "call us", crisis=False)
    assert "call 911 now" not in unconfirmed.lower() and "988" not in unconfirmed
    assert "988" in handoff.unconfirmed_reply(handoff.QUEUED, "call us", crisis=True)


def test_the_same_key_is_recorded_once_even_through_the_spool(tmp_path: Path, resilient: ResilientEscalations) -> None:
    spool = Spool(tmp_path / "other-spool")
    spool.put({"conversation_id": "c2", "channel": "rest", "urgency": "urgent", "reasons": ["complication"],
               "message": "pus"}, key="turn-k1")
    resilient.record("c2", "rest", "urgent", ["complication"], "pus", key="turn-k1")
    assert spool.drain(resilient.store) == 1  # replayed, and changed nothing
    [case] = resilient.store.list()
    assert [event.kind for event in resilient.store.events(case.id)] == ["created"]
    with pytest.raises(ValueError):
        spool.put({"conversation_id": "c3"}, key="bad key!")


def test_alert_channel_status_and_banner(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ALERT_WEBHOOK_URL", "SMTP_HOST", "ALERT_EMAIL_TO"):
        monkeypatch.delenv(name, raising=False)
    none = Settings()
    assert channel_status(none)["configured"] is False and "warning" in channel_status(none)
    assert "No alert channel configured" in (start_banner(none) or "")
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "https://staff.example/alerts")
    webhook = Settings()
    assert channel_status(webhook) == {"channels": ["webhook"], "configured": True}
    assert start_banner(webhook) is None
