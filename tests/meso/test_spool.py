"""The spool with the database really unavailable: SQLite locked or missing, PostgreSQL stopped."""

from __future__ import annotations

import json
import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from devstack.postgres import PostgresServer
from meso.cases.escalations import Contact, EscalationStore, dispose_engines
from meso.cases.spool import ResilientEscalations, Spool
from meso.store.tables import outbox_table


@pytest.fixture()
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'db' / 'escalations.db'}"
    dispose_engines()


@pytest.fixture()
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool")


class SqliteLock:
    """Another connection holding SQLite's write lock: every writer gets 'database is locked'."""

    def __init__(self, url: str) -> None:
        self.connection = sqlite3.connect(
            url.split("///", 1)[1], isolation_level=None, check_same_thread=False
        )
        self.connection.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.connection.execute("ROLLBACK")
        self.connection.close()


def ready_store(url: str, **options: object) -> EscalationStore:
    store = EscalationStore(url, alert_channels=("webhook",), **options)  # type: ignore[arg-type]
    assert store.ping()
    return store


def outbox_count(store: EscalationStore) -> int:
    return store.run_in_transaction(
        lambda connection: connection.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar()
    )


def test_put_is_atomic_private_and_ordered(spool: Spool) -> None:
    first = spool.put(
        {"conversation_id": "a", "reasons": ("stroke",), "contact": Contact("Ana", "+1", "am", True)}
    )
    second = spool.put({"conversation_id": "b"})
    assert spool.files() == [first, second] and spool.pending() == 2
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert stat.S_IMODE(spool.directory.stat().st_mode) == 0o700
    assert not [path for path in spool.directory.iterdir() if path.name.endswith(".tmp")]
    entry = json.loads(first.read_text())
    assert entry["kind"] == "record" and entry["data"]["reasons"] == ["stroke"]
    assert entry["data"]["contact"] == {"name": "Ana", "phone": "+1", "preferred_time": "am", "consent": True, "language": None}
    assert Spool(spool.directory / "missing").pending() == 0


def test_locked_sqlite_spools_then_drains_once(sqlite_url: str, spool: Spool) -> None:
    store = ready_store(sqlite_url)
    escalations = ResilientEscalations(store, spool)
    lock = SqliteLock(sqlite_url)
    try:
        started = time.monotonic()
        outcome = escalations.record("conv-1", "sms", "urgent", ["complication"], "the area is hot and red")
        assert time.monotonic() - started < 2
        assert (outcome.stored, outcome.spooled) == (False, True)
        assert escalations.attach_contact("conv-1", Contact("Ana", "+18185550123", "now", True)) is None
        assert escalations.pending() == 2
    finally:
        lock.release()

    assert escalations.drain() == 2
    assert escalations.pending() == 0 and escalations.drain() == 0
    [case] = store.list()
    assert (case.conversation_id, case.channel, case.urgency, case.reasons) == (
        "conv-1",
        "sms",
        "urgent",
        ("complication",),
    )
    assert case.message == "the area is hot and red"
    assert case.contact == Contact("Ana", "+18185550123", "now", True)
    assert [event.kind for event in store.events(case.id)] == ["created", "contact"]
    assert outbox_count(store) == 1  # the staff alert is queued with the replayed case


def test_crash_between_commit_and_delete_does_not_duplicate(
    sqlite_url: str, spool: Spool, tmp_path: Path
) -> None:
    store = ready_store(sqlite_url)
    escalations = ResilientEscalations(store, spool)
    lock = SqliteLock(sqlite_url)
    try:
        escalations.record("conv-1", "rest", "routine", ["pregnancy"], "I'm pregnant")
        escalations.record("conv-1", "rest", "routine", ["stroke"], "and I had a stroke")
    finally:
        lock.release()
    backup = tmp_path / "backup"
    shutil.copytree(spool.directory, backup)
    assert escalations.drain() == 2
    # The process died after committing but before deleting: the files come back.
    for path in backup.glob("*.json"):
        shutil.copy(path, spool.directory / path.name)
    assert spool.pending() == 2
    assert escalations.drain() == 2
    [case] = store.list()
    assert case.reasons == ("pregnancy", "stroke")
    assert [(event.kind, event.detail) for event in store.events(case.id)] == [
        ("created", None),
        ("merged", "and I had a stroke"),
    ]


def test_backlog_is_replayed_before_a_new_record_to_keep_order(sqlite_url: str, spool: Spool) -> None:
    store = ready_store(sqlite_url)
    escalations = ResilientEscalations(store, spool)
    lock = SqliteLock(sqlite_url)
    try:
        escalations.record("conv-1", "rest", "routine", ["pregnancy"], "first")
    finally:
        lock.release()
    outcome = escalations.record("conv-1", "rest", "routine", ["cancer"], "second")
    assert outcome.stored and spool.pending() == 0
    assert outcome.escalation is not None and outcome.escalation.message == "first"
    assert outcome.escalation.reasons == ("pregnancy", "cancer")


def test_unopenable_database_spools(tmp_path: Path, spool: Spool) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    escalations = ResilientEscalations(EscalationStore(f"sqlite:///{blocker / 'e.db'}"), spool)
    outcome = escalations.record("conv-1", "rest", "emergency", ["emergency"], "can't breathe")
    assert outcome.spooled and not outcome.stored and escalations.pending() == 1


def test_database_and_spool_both_failing_does_not_raise(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    escalations = ResilientEscalations(
        EscalationStore(f"sqlite:///{blocker / 'e.db'}"), Spool(blocker / "spool")
    )
    outcome = escalations.record("conv-1", "rest", "emergency", ["emergency"], "can't breathe")
    assert not outcome.stored and not outcome.spooled


def test_invalid_codes_are_refused_not_spooled(sqlite_url: str, spool: Spool) -> None:
    escalations = ResilientEscalations(EscalationStore(sqlite_url), spool)
    with pytest.raises(ValueError):
        escalations.record("conv-1", "rest", "routine", ["made_up"], "x")
    assert spool.pending() == 0


def test_unreadable_file_is_set_aside_and_the_rest_replayed(sqlite_url: str, spool: Spool) -> None:
    store = ready_store(sqlite_url)
    spool.put(
        {
            "conversation_id": "c",
            "channel": "rest",
            "urgency": "routine",
            "reasons": ["stroke"],
            "message": "m",
        }
    )
    (spool.directory / "00000000000000000000-broken.json").write_text("{not json")
    assert spool.drain(store) == 1
    assert (spool.pending(), spool.rejected()) == (0, 1)
    assert len(store.list()) == 1


def test_concurrent_drains_replay_each_write_once(sqlite_url: str, spool: Spool) -> None:
    store = ready_store(sqlite_url)
    for n in range(8):
        spool.put(
            {
                "conversation_id": f"c{n}",
                "channel": "rest",
                "urgency": "urgent",
                "reasons": ["complication"],
                "message": "m",
            }
        )
    counts: List[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(Spool(spool.directory).drain(store))) for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 8 and spool.pending() == 0
    assert len(store.list()) == 8 and outbox_count(store) == 8


def test_background_drainer_empties_the_spool_when_the_database_returns(
    sqlite_url: str, spool: Spool
) -> None:
    store = ready_store(sqlite_url)
    escalations = ResilientEscalations(store, spool)
    lock = SqliteLock(sqlite_url)
    stop = escalations.start_drainer(interval=0.05)
    try:
        assert escalations.record("conv-1", "rest", "urgent", ["complication"], "x").spooled
        time.sleep(0.2)
        assert escalations.pending() == 1  # still locked: kept
        lock.release()
        deadline = time.monotonic() + 5
        while escalations.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert escalations.pending() == 0 and len(store.list()) == 1



def test_stop_drainers_ends_every_drainer_thread(sqlite_url: str, spool: Spool) -> None:
    drainers = lambda: {t for t in threading.enumerate() if t.name == "escalation-spool-drainer"}  # noqa: E731
    before = drainers()
    escalations = ResilientEscalations(ready_store(sqlite_url), spool)
    escalations.start_drainer(interval=0.05)
    escalations.start_drainer(interval=0.05)
    started = drainers() - before
    assert len(started) == 2
    escalations.stop_drainers()
    for thread in started:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in started)

def test_postgres_stopped_then_started_loses_and_duplicates_nothing(
    postgres: PostgresServer, spool: Spool
) -> None:
    store = ready_store(postgres.new_database())
    escalations = ResilientEscalations(store, spool)
    kept = escalations.record("before", "rest", "routine", ["callback"], "call me")
    assert kept.stored
    postgres.stop()
    try:
        assert not store.ping()
        first = escalations.record("conv-1", "sms", "emergency", ["emergency"], "my throat is closing")
        second = escalations.record("conv-1", "sms", "routine", ["pregnancy"], "and I'm pregnant")
        escalations.attach_contact("conv-1", Contact("Ana", "+18185550123", "now", True))
        assert (first.spooled, second.spooled, first.stored) == (True, True, False)
        assert escalations.pending() == 3
    finally:
        postgres.start()

    after = escalations.record("conv-2", "rest", "urgent", ["complication"], "swollen")  # drains first
    assert after.stored and escalations.pending() == 0
    cases = {case.conversation_id: case for case in store.list()}
    assert set(cases) == {"before", "conv-1", "conv-2"}
    emergency = cases["conv-1"]
    assert (emergency.urgency, emergency.reasons) == ("emergency", ("emergency", "pregnancy"))
    assert emergency.message == "my throat is closing"
    assert emergency.contact == Contact("Ana", "+18185550123", "now", True)
    assert [event.kind for event in store.events(emergency.id)] == ["created", "merged", "contact"]
    assert outbox_count(store) == 2  # emergency (replayed) + urgent
    assert escalations.drain() == 0 and len(store.list()) == 3
    dispose_engines()
