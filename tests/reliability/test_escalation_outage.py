"""Escalation database down (SQLite locked by another process, PostgreSQL stopped).

The patient gets the clinic's phone number instead of a promise, the case waits in the
local spool, /healthz shows it, and when the database returns every case is written:
nothing lost, nothing twice, even when the action server is killed while cases wait.
(Spooled call-back details: tests/meso/test_spool.py.)
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from devstack.postgres import PostgresServer
from devstack.stack import Stack
from meso.cases.escalations import Escalation, EscalationStore, dispose_engines
from meso.cases.spool import Spool
from tests.reliability.outages import sqlite_locked
from tests.reliability.support import (
    CLINIC_PHONE,
    REPLY_BUDGET_S,
    health,
    record,
    running,
    timed_say,
    wait_for,
    wait_healthy,
)

FAST_DRAIN = {"SPOOL_DRAIN_SECONDS": "1"}
PROMISES = ("will review", "staff's queue", "I've alerted", "will call you at")
RISKY = {  # kind: (message, reason code)
    "routine": ("I had a DVT two years ago, can I still do it?", "blood_clots"),
    "urgent": ("the spot where I got the injections is red, hot and full of pus", "complication"),
    "emergency": ("I can't breathe and my throat is swelling", "emergency"),
    "callback": ("please call me back", "callback"),
}


def cases(stack: Stack, sender: str) -> List[Escalation]:
    store = EscalationStore(stack.env["ESCALATION_DB_URL"], alert_channels=())
    try:
        return [case for case in store.list(limit=1000) if case.conversation_id == sender]
    finally:
        dispose_engines()


def spooled(stack: Stack) -> int:
    return Spool(stack.data_dir / "spool").pending()


def assert_no_promise_but_phone(seconds: float, replies: List[str]) -> None:
    said = " ".join(replies)
    assert seconds < REPLY_BUDGET_S, f"reply took {seconds:.2f} s"
    assert CLINIC_PHONE in said and not any(promise in said for promise in PROMISES), replies


def escalate_while_down(stack: Stack, prefix: str) -> Dict[str, str]:
    """Four kinds of case while the database is down; returns sender -> expected reason."""
    slowest = 0.0
    for kind, (message, _) in RISKY.items():
        seconds, replies = timed_say(stack, f"{prefix}-{kind}", message)
        if kind == "emergency":
            assert replies[0].startswith("Please call 911 now"), replies
        assert_no_promise_but_phone(seconds, replies)
        slowest = max(slowest, seconds)
    record(f"{prefix}.slowest_reply_s", slowest)
    return {f"{prefix}-{kind}": reason for kind, (_, reason) in RISKY.items()}


def assert_unhealthy_with_spool(stack: Stack, expected: int) -> None:
    assert spooled(stack) == expected
    status, report = health(stack)
    assert status == 503 and report["escalations"] == {
        "database_up": False,
        "spooled": expected,
        "rejected": 0,
    }


def assert_all_written_once(stack: Stack, expected: Dict[str, str], prefix: str) -> None:
    wait_for(lambda: spooled(stack) == 0, 60, "spool drained")
    wait_healthy(stack)
    for sender, reason in expected.items():
        found = cases(stack, sender)
        assert len(found) == 1 and reason in found[0].reasons, (sender, found)
    record(f"{prefix}.escalations_lost", 0)


def test_sqlite_locked(tmp_path: Path) -> None:
    with running(tmp_path, FAST_DRAIN) as stack:
        _, replies = timed_say(stack, "esc-sqlite-before", "I had a mini stroke last year")
        assert "will review" in " ".join(replies) and len(cases(stack, "esc-sqlite-before")) == 1
        with sqlite_locked(stack.data_dir / "escalations.db"):
            expected = escalate_while_down(stack, "esc_sqlite_locked")
            assert_unhealthy_with_spool(stack, len(RISKY))
        assert_all_written_once(stack, expected, "esc_sqlite_locked")


@pytest.fixture()
def pg_stack(tmp_path: Path, postgres: PostgresServer) -> Iterator[Stack]:
    with running(tmp_path, {**FAST_DRAIN, "ESCALATION_DB_URL": postgres.new_database()}) as stack:
        yield stack


def test_postgres_stopped(pg_stack: Stack, postgres: PostgresServer) -> None:
    _, replies = timed_say(pg_stack, "esc-pg-before", "I had a mini stroke last year")
    assert "will review" in " ".join(replies)
    postgres.stop()
    try:
        expected = escalate_while_down(pg_stack, "esc_pg_stopped")
        assert_unhealthy_with_spool(pg_stack, len(RISKY))
        pg_stack.stop("actions", signal.SIGKILL)  # and a crash while the cases wait
    finally:
        postgres.start()
    pg_stack.start_actions()  # no patient writes again: the drainer starts with the server
    assert_all_written_once(pg_stack, expected, "esc_pg_stopped")
