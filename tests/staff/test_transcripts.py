"""Transcripts from a tracker store written by Rasa's own SQLTrackerStore, and retention."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from meso.accounts.audit import AuditLog
from meso.cases.escalations import EscalationStore
from meso.settings import Settings
from meso.store.transcripts import ASSISTANT, PATIENT, TranscriptStore, turns_from_rows
from staff import manage
from staff.seed import tracker_rows, write_tracker_rows
from tests.staff.conftest import FakeClock, add_case, login


def _save_with_rasa(path: Path, sender_id: str, at: float) -> None:
    """Stores a conversation exactly as a running Rasa 3.6 server would."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(path))
    tracker = DialogueStateTracker.from_events(
        sender_id,
        [
            ActionExecuted("action_session_start", timestamp=at),
            SessionStarted(timestamp=at),
            ActionExecuted("action_listen", timestamp=at),
            UserUttered(
                "does it hurt? <b>really</b>", {"name": "ask_pain", "confidence": 0.9}, timestamp=at + 1
            ),
            ActionExecuted("utter_answer", timestamp=at + 2),
            BotUttered(
                "Most people feel small pricks.",
                {"buttons": [{"title": "Cost", "payload": "/ask_cost"}]},
                timestamp=at + 2,
            ),
            ActionExecuted("action_listen", timestamp=at + 2),
        ],
    )
    asyncio.run(store.save(tracker))
    store.engine.dispose()


def test_reads_what_rasa_sql_tracker_store_wrote(tmp_path: Path) -> None:
    path = tmp_path / "rasa.db"
    at = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc).timestamp()
    _save_with_rasa(path, "web-123", at)
    turns = TranscriptStore(f"sqlite:///{path}").turns("web-123")
    assert [(t.who, t.text) for t in turns] == [
        (PATIENT, "does it hurt? <b>really</b>"),
        (ASSISTANT, "Most people feel small pricks.\n[options: Cost]"),
    ]
    assert turns[0].at == datetime(2025, 3, 1, 9, 0, 1, tzinfo=timezone.utc)
    assert TranscriptStore(f"sqlite:///{path}").turns("someone-else") == []


def test_seed_rows_have_the_same_shape_as_rasas(tmp_path: Path) -> None:
    import sqlite3

    rasa_db, seed_db = tmp_path / "rasa.db", tmp_path / "seed.db"
    _save_with_rasa(rasa_db, "a", 1_700_000_000.0)
    write_tracker_rows(
        f"sqlite:///{seed_db}",
        tracker_rows("b", "rest", [("patient", "hi", "greet")], datetime.now(timezone.utc)),
    )

    def columns(path: Path) -> list:
        with sqlite3.connect(path) as connection:
            return [(row[1], row[2]) for row in connection.execute("PRAGMA table_info(events)")]

    assert columns(rasa_db) == columns(seed_db)


def test_missing_database_or_table_gives_an_empty_transcript(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "rasa.db"
    assert TranscriptStore(f"sqlite:///{missing}").turns("x") == []
    assert not missing.exists() and not missing.parent.exists()  # reading never creates it
    empty = tmp_path / "empty.db"
    empty.touch()
    assert TranscriptStore(f"sqlite:///{empty}").turns("x") == []


def test_malformed_rows_are_skipped() -> None:
    rows = [
        ("user", 1.0, "{not json"),
        ("user", 2.0, '{"text": "ok"}'),
        ("bot", 3.0, '["list"]'),
        ("slot", 4.0, "{}"),
    ]
    assert [t.text for t in turns_from_rows(rows)] == ["ok"]


def test_case_page_without_tracker_store_shows_an_empty_transcript(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock, transcript=False)
    login(client)
    page = client.get(f"/escalations/{case.id}")
    assert page.status_code == 200
    assert "No transcript is stored for this conversation" in page.text


def test_purge_deletes_old_conversations_and_cases_and_audits_counts(
    settings: Settings, store: EscalationStore, clock: FakeClock
) -> None:
    now = datetime.now(timezone.utc)
    clock.now = now
    old = add_case(
        store, settings, clock, "old question", conversation_id="old-conv", minutes_ago=60 * 24 * 100
    )
    recent = add_case(
        store, settings, clock, "recent question", conversation_id="recent-conv", minutes_ago=60
    )
    # A conversation that started long ago but is still active is kept whole.
    write_tracker_rows(
        settings.tracker_url,
        tracker_rows("long-conv", "sms", [("patient", "first", "greet")], now - timedelta(days=200))
        + tracker_rows("long-conv", "sms", [("patient", "latest", "greet")], now - timedelta(days=1)),
    )
    assert manage.run(["purge", "--days", "90"], settings=settings) == 0
    transcripts = TranscriptStore(settings.tracker_url)
    assert transcripts.turns("old-conv") == []
    assert [t.text for t in transcripts.turns("recent-conv")][-1] == "recent question"
    assert [t.text for t in transcripts.turns("long-conv")] == ["first", "latest"]
    assert store.get(old.id) is None and store.get(recent.id) is not None
    entry = AuditLog(settings.escalation_url).entries()[0]
    assert entry.action == "retention.purge" and entry.actor == "cli"
    assert "conversations=1 escalations=1" in entry.detail and "days=90" in entry.detail


def test_purge_defaults_to_the_retention_setting_and_refuses_zero(settings: Settings) -> None:
    assert manage.run(["purge"], settings=settings) == 0
    assert "days=90" in AuditLog(settings.escalation_url).entries()[0].detail
    assert manage.run(["purge", "--days", "0"], settings=settings) == 2


def test_tracker_url_must_be_a_full_url(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path, tracker_db_url="").tracker_url == f"sqlite:///{tmp_path / 'rasa.db'}"
    with pytest.raises(ValueError, match="TRACKER_DB_URL"):
        _ = Settings(data_dir=tmp_path, tracker_db_url="db.internal").tracker_url
