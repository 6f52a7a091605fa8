"""The escalation store against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from devstack.postgres import PostgresServer, free_port
from meso.cases.escalations import (
    CaseEvent,
    Contact,
    EscalationNotFound,
    EscalationStore,
    EscalationUnavailable,
    InvalidTransition,
    dispose_engines,
    outbox_table,
)
from meso.notify import alerts
from meso.settings import Settings


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'escalations.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        yield server.new_database()
    dispose_engines()


@pytest.fixture()
def store(db_url: str, clock: FakeClock) -> EscalationStore:
    return EscalationStore(db_url, alert_channels=("webhook", "email"), clock=clock)


def outbox_rows(store: EscalationStore) -> List[sa.engine.Row]:
    return store.run_in_transaction(
        lambda connection: list(connection.execute(sa.select(outbox_table).order_by(outbox_table.c.id)))
    )


def kinds(events: List[CaseEvent]) -> List[str]:
    return [event.kind for event in events]


# -- recording and merging ------------------------------------------------------------------


def test_record_commits_a_clean_open_case(store: EscalationStore, clock: FakeClock) -> None:
    case = store.record("conv-1", "rest", "routine", ["pregnancy"], "I'm \u202epregnant\x00 ")
    assert (case.conversation_id, case.channel, case.urgency, case.reasons) == (
        "conv-1",
        "rest",
        "routine",
        ("pregnancy",),
    )
    assert case.message == "I'm pregnant "
    assert case.status == "open" and case.contact is None and case.claimed_by is None
    assert case.created_at == clock.now and case.created_at.tzinfo is not None
    # Committed: a second store on the same database sees it.
    assert EscalationStore(store.url).get(case.id) == case
    assert kinds(store.events(case.id)) == ["created"]


def test_second_message_in_an_open_case_is_merged(store: EscalationStore, clock: FakeClock) -> None:
    first = store.record("conv-1", "sms", "routine", ["pregnancy"], "I'm pregnant")
    clock.advance(60)
    second = store.record("conv-1", "sms", "routine", ["stroke", "pregnancy"], "I also had a stroke")
    assert second.id == first.id
    assert second.reasons == ("pregnancy", "stroke")
    assert second.message == "I'm pregnant"
    assert second.updated_at == clock.now and second.created_at == first.created_at
    [created, merged] = store.events(first.id)
    assert (created.kind, merged.kind, merged.detail) == ("created", "merged", "I also had a stroke")
    assert len(store.list()) == 1


def test_more_urgent_message_opens_a_new_case_and_later_ones_merge_into_it(store: EscalationStore) -> None:
    routine = store.record("conv-1", "rest", "routine", ["callback"], "call me")
    urgent = store.record("conv-1", "rest", "urgent", ["complication"], "the site is swollen")
    assert urgent.id != routine.id
    emergency = store.record("conv-1", "rest", "emergency", ["emergency"], "I can't breathe")
    assert emergency.id not in (routine.id, urgent.id)
    later = store.record("conv-1", "rest", "routine", ["booking"], "book me in")
    assert later.id == emergency.id and later.urgency == "emergency"
    assert later.reasons == ("emergency", "booking")
    assert len(store.list()) == 3


def test_claimed_case_still_merges_but_resolved_case_does_not(store: EscalationStore) -> None:
    case = store.record("conv-1", "rest", "routine", ["pregnancy"], "pregnant")
    store.claim(case.id, "nurse.kim")
    assert store.record("conv-1", "rest", "routine", ["minor"], "I'm 16").id == case.id
    store.resolve(case.id, "nurse.kim", "called, advised")
    fresh = store.record("conv-1", "rest", "routine", ["minor"], "still 16")
    assert fresh.id != case.id and fresh.status == "open"


def test_conversations_do_not_share_cases(store: EscalationStore) -> None:
    one = store.record("conv-1", "rest", "routine", ["pregnancy"], "a")
    two = store.record("conv-2", "rest", "routine", ["pregnancy"], "b")
    assert one.id != two.id


def test_unknown_codes_are_refused(store: EscalationStore) -> None:
    with pytest.raises(ValueError):
        store.record("conv-1", "rest", "routine", ["bad_reason"], "x")
    with pytest.raises(ValueError):
        store.record("conv-1", "rest", "critical", ["emergency"], "x")
    with pytest.raises(ValueError):
        store.record("conv-1", "rest", "routine", [], "x")
    with pytest.raises(ValueError):
        store.record("c" * 256, "rest", "routine", ["stroke"], "x")
    assert store.list() == []


def test_idempotency_key_replays_nothing_twice(store: EscalationStore) -> None:
    first = store.record("conv-1", "rest", "urgent", ["complication"], "pus", key="spool-1")
    again = store.record("conv-1", "rest", "urgent", ["complication"], "pus", key="spool-1")
    assert again == first
    assert kinds(store.events(first.id)) == ["created"]
    assert len(outbox_rows(store)) == 2


def test_replay_keeps_the_original_time(store: EscalationStore, clock: FakeClock) -> None:
    earlier = clock.now - timedelta(minutes=30)
    case = store.record("conv-1", "rest", "routine", ["stroke"], "stroke", at=earlier)
    assert case.created_at == earlier


# -- durable outbox ---------------------------------------------------------------------------


@pytest.mark.parametrize("urgency,reason", [("emergency", "emergency"), ("urgent", "complication")])
def test_urgent_cases_queue_one_alert_per_channel(store: EscalationStore, urgency: str, reason: str) -> None:
    case = store.record("conv-1", "sms", urgency, [reason], "my throat is closing, call 818-555-0199")
    rows = outbox_rows(store)
    assert [row.channel for row in rows] == ["webhook", "email"]
    for row in rows:
        assert row.escalation_id == case.id and row.attempts == 0 and row.delivered_at is None
        payload = json.loads(row.payload)
        assert payload == {
            "escalation_id": case.id,
            "urgency": urgency,
            "reasons": [reason],
            "channel": "sms",
            "created_at": case.created_at.isoformat(),
            "language": None,
            "link": f"/escalations/{case.id}",
        }
        assert "throat" not in row.payload and "555" not in row.payload


def test_the_case_and_its_alert_say_the_conversation_language(store: EscalationStore) -> None:
    case = store.record("conv-es", "sms", "emergency", ["emergency"], "no puedo respirar", language="es")
    assert case.language == "es"
    payload = json.loads(outbox_rows(store)[0].payload)
    assert payload["language"] == "es"
    assert "Language: Spanish (español)" in alerts.email_body(payload)
    merged = store.record("conv-es", "sms", "routine", ["pregnancy"], "estoy embarazada", language="es")
    assert merged.id == case.id and merged.language == "es"
    assert store.record("conv-x", "rest", "routine", ["stroke"], "stroke", language="fr").language is None
    # The call-back form's answer names the language to call in.
    updated = store.attach_contact("conv-es", Contact("Ana", "+18185550100", "en la tarde", True, language="en"))
    assert updated is not None and updated.language == "en"


def test_routine_and_merged_messages_queue_no_alert(store: EscalationStore) -> None:
    store.record("conv-1", "rest", "routine", ["pregnancy"], "pregnant")
    assert outbox_rows(store) == []
    store.record("conv-2", "rest", "urgent", ["complication"], "swollen")
    store.record("conv-2", "rest", "urgent", ["complication"], "still swollen")
    assert len(outbox_rows(store)) == 2  # the merge alerted nobody again


def test_no_configured_channel_means_no_outbox_rows(db_url: str) -> None:
    store = EscalationStore(db_url, alert_channels=())
    store.record("conv-1", "rest", "emergency", ["emergency"], "help")
    assert outbox_rows(store) == []


def test_case_is_not_committed_when_its_alert_cannot_be_queued(store: EscalationStore) -> None:
    store.ping()  # migrate first
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE outbox"))
    with pytest.raises(Exception):  # noqa: B017 - the dialects raise different errors
        store.record("conv-1", "rest", "urgent", ["complication"], "swollen")
    assert store.list() == []


def test_database_errors_do_not_carry_patient_text(store: EscalationStore) -> None:
    store.record("conv-1", "rest", "routine", ["pregnancy"], "first message")
    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE escalation_events"))
    with pytest.raises(Exception) as raised:  # noqa: B017 - the dialects raise different errors
        store.record("conv-1", "rest", "routine", ["stroke"], "my secret history")
    chain = [raised.value, raised.value.__cause__]
    assert not any("my secret history" in str(error) for error in chain)


def test_channels_come_from_settings(db_url: str) -> None:
    settings = Settings(
        escalation_db_url=db_url,
        alert_webhook_url="http://127.0.0.1:9/hook",
        alert_webhook_secret="s",
        smtp_host="",
        alert_email_to=("staff@example.org",),
    )
    assert EscalationStore.from_settings(settings).alert_channels == ("webhook",)
    both = Settings(
        escalation_db_url=db_url, alert_webhook_url="", smtp_host="127.0.0.1", alert_email_to=("a@b.c",)
    )
    assert EscalationStore.from_settings(both).alert_channels == ("email",)


# -- contact -----------------------------------------------------------------------------------


def test_contact_is_attached_to_the_open_case(store: EscalationStore) -> None:
    case = store.record("conv-1", "rest", "routine", ["callback"], "call me")
    updated = store.attach_contact("conv-1", Contact("Ana \u202eDiaz", "+18185550123", "mornings", True))
    assert updated is not None and updated.id == case.id
    assert updated.contact == Contact("Ana Diaz", "+18185550123", "mornings", True)
    assert kinds(store.events(case.id)) == ["created", "contact"]
    assert "+1818" not in (store.events(case.id)[-1].detail or "")


def test_phone_is_not_kept_without_consent(store: EscalationStore) -> None:
    store.record("conv-1", "rest", "routine", ["human_request"], "a person please")
    updated = store.attach_contact("conv-1", Contact("Ana", "+18185550123", None, False))
    assert updated is not None and updated.contact == Contact("Ana", None, None, False)


def test_contact_without_an_open_case_is_not_stored(store: EscalationStore) -> None:
    assert store.attach_contact("nobody", Contact("Ana", "+18185550123", "now", True)) is None
    case = store.record("conv-1", "rest", "routine", ["callback"], "call me")
    store.resolve(case.id, "nurse", "done")
    assert store.attach_contact("conv-1", Contact("Ana", "+18185550123", "now", True)) is None


# -- the queue -------------------------------------------------------------------------------


def test_list_orders_by_urgency_then_age_and_filters(store: EscalationStore, clock: FakeClock) -> None:
    old_routine = store.record("a", "rest", "routine", ["pregnancy"], "x")
    clock.advance(1)
    old_urgent = store.record("b", "sms", "urgent", ["complication"], "x")
    clock.advance(1)
    new_routine = store.record("c", "socketio", "routine", ["callback"], "x")
    clock.advance(1)
    emergency = store.record("d", "rest", "emergency", ["emergency"], "x")
    clock.advance(1)
    new_urgent = store.record("e", "rest", "urgent", ["complication"], "x")
    order = [case.id for case in store.list()]
    assert order == [emergency.id, old_urgent.id, new_urgent.id, old_routine.id, new_routine.id]
    assert [c.id for c in store.list(urgency="urgent")] == [old_urgent.id, new_urgent.id]
    assert [c.id for c in store.list(reason="callback")] == [new_routine.id]
    assert [c.id for c in store.list(channel="sms")] == [old_urgent.id]
    assert [c.id for c in store.list(limit=2)] == [emergency.id, old_urgent.id]
    store.claim(old_urgent.id, "nurse")
    assert [c.id for c in store.list(status="claimed")] == [old_urgent.id]
    assert old_urgent.id not in [c.id for c in store.list(status="open")]
    with pytest.raises(ValueError):
        store.list(status="closed")


def test_counts_by_status_and_unresolved_urgency(store: EscalationStore) -> None:
    assert store.counts() == {
        "status": {"open": 0, "claimed": 0, "resolved": 0},
        "urgency": {"emergency": 0, "urgent": 0, "routine": 0},
    }
    a = store.record("a", "rest", "emergency", ["emergency"], "x")
    b = store.record("b", "rest", "urgent", ["complication"], "x")
    store.record("c", "rest", "routine", ["stroke"], "x")
    store.claim(b.id, "nurse")
    store.resolve(a.id, "nurse", "sent to ER")
    assert store.counts() == {
        "status": {"open": 1, "claimed": 1, "resolved": 1},
        "urgency": {"emergency": 0, "urgent": 1, "routine": 1},
    }


# -- staff actions ---------------------------------------------------------------------------


def test_claim_note_resolve_are_recorded_in_the_history(store: EscalationStore, clock: FakeClock) -> None:
    case = store.record("conv-1", "rest", "urgent", ["complication"], "swollen")
    clock.advance(5)
    claimed = store.claim(case.id, "nurse.kim")
    assert (claimed.status, claimed.claimed_by, claimed.updated_at) == ("claimed", "nurse.kim", clock.now)
    note = store.add_note(case.id, "nurse.kim", "Called, \u202eno answer")
    assert (note.kind, note.actor, note.detail) == ("note", "nurse.kim", "Called, no answer")
    resolved = store.resolve(case.id, "dr.partovy", "Seen in clinic")
    assert (resolved.status, resolved.resolved_outcome) == ("resolved", "Seen in clinic")
    assert kinds(store.events(case.id)) == ["created", "claimed", "note", "resolved"]
    store.add_note(case.id, "dr.partovy", "Follow-up booked")  # notes are allowed after resolving


def test_resolved_case_cannot_be_claimed_or_resolved_again(store: EscalationStore) -> None:
    case = store.record("conv-1", "rest", "routine", ["stroke"], "x")
    store.resolve(case.id, "nurse", "done")
    with pytest.raises(InvalidTransition):
        store.claim(case.id, "nurse")
    with pytest.raises(InvalidTransition):
        store.resolve(case.id, "nurse", "again")
    assert store.get(case.id).status == "resolved"  # type: ignore[union-attr]


def test_staff_actions_need_a_case_an_actor_and_text(store: EscalationStore) -> None:
    case = store.record("conv-1", "rest", "routine", ["stroke"], "x")
    with pytest.raises(EscalationNotFound):
        store.claim(9999, "nurse")
    with pytest.raises(ValueError):
        store.claim(case.id, " \u202e ")
    with pytest.raises(ValueError):
        store.add_note(case.id, "nurse", "  ")
    with pytest.raises(ValueError):
        store.resolve(case.id, "nurse", "")
    assert store.get(9999) is None
    assert store.events(9999) == []


# -- retention, health, migrations ---------------------------------------------------------


def test_delete_older_than_removes_cases_history_and_alerts(store: EscalationStore, clock: FakeClock) -> None:
    old = store.record("old", "rest", "urgent", ["complication"], "x")
    store.add_note(old.id, "nurse", "n")
    clock.advance(100 * 86400)
    recent = store.record("new", "rest", "urgent", ["complication"], "y")
    assert store.delete_older_than(clock.now - timedelta(days=90)) == 1
    assert store.get(old.id) is None and store.events(old.id) == []
    assert [row.escalation_id for row in outbox_rows(store)] == [recent.id, recent.id]
    assert store.get(recent.id) is not None


def test_migration_is_idempotent_and_lazy(db_url: str) -> None:
    store = EscalationStore(db_url, alert_channels=())
    inspector_tables = lambda: set(sa.inspect(sa.create_engine(db_url, future=True)).get_table_names())  # noqa: E731
    assert "escalations" not in inspector_tables()  # nothing happens at construction
    assert store.ping()
    assert {"escalations", "escalation_events", "outbox", "alembic_version"} <= inspector_tables()
    from meso.store.db import migrate

    migrate(db_url)  # again: no error, data kept
    store.record("conv-1", "rest", "routine", ["stroke"], "x")
    migrate(db_url)
    assert len(EscalationStore(db_url).list()) == 1


def test_ping_is_false_when_the_database_is_unreachable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert EscalationStore(f"sqlite:///{blocker / 'escalations.db'}").ping() is False
    url = f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/nothing"
    started = time.monotonic()
    assert EscalationStore(url).ping() is False
    assert time.monotonic() - started < 2


# -- transient failures ----------------------------------------------------------------------


def test_locked_sqlite_is_retried_briefly_then_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "escalations.db"
    store = EscalationStore(f"sqlite:///{path}", alert_channels=())
    assert store.ping()
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(EscalationUnavailable):
            store.record("conv-1", "rest", "urgent", ["complication"], "x")
        assert time.monotonic() - started < 2
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert store.record("conv-1", "rest", "urgent", ["complication"], "x").id == 1
    dispose_engines()


def test_lock_released_during_retries_succeeds(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "escalations.db"
    store = EscalationStore(f"sqlite:///{path}", alert_channels=())
    assert store.ping()
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, lambda: locker.execute("ROLLBACK"))
    release.start()
    try:
        case = store.record("conv-1", "rest", "routine", ["stroke"], "x")
    finally:
        release.join()
        locker.close()
    assert store.get(case.id) == case
    dispose_engines()


def test_postgres_down_is_unavailable_quickly(postgres: PostgresServer) -> None:
    store = EscalationStore(postgres.new_database(), alert_channels=())
    assert store.ping()
    postgres.stop()
    try:
        started = time.monotonic()
        with pytest.raises(EscalationUnavailable):
            store.record("conv-1", "rest", "urgent", ["complication"], "x")
        assert time.monotonic() - started < 2
        assert store.ping() is False
    finally:
        postgres.start()
    assert store.record("conv-1", "rest", "urgent", ["complication"], "x").id == 1
    dispose_engines()
