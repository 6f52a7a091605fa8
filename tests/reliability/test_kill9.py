"""kill -9 of the action server and the Rasa server right after patients were promised a follow-up.

A promise is only said after the case is committed, so after the restart every case is
in the database, and the conversation carries on from the tracker store.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Dict, List

import sqlalchemy as sa

from devstack.postgres import PostgresServer
from devstack.stack import Stack
from meso.cases.escalations import EscalationStore, dispose_engines
from tests.reliability.support import record, running, timed_say

PROMISED = {  # sender suffix: (message, words of the promise, reason code)
    "routine": (
        "I had a DVT two years ago, can I still do it?",
        "a member of staff will review",
        "blood_clots",
    ),
    "urgent": (
        "the spot where I got the injections is red, hot and full of pus",
        "added your message to the clinic staff's queue",
        "complication",
    ),
    "emergency": (
        "I can't breathe and my throat is swelling",
        "added your message to the clinic staff's queue",
        "emergency",
    ),
}


def reasons_by_sender(url: str, prefix: str) -> Dict[str, List[str]]:
    store = EscalationStore(url, alert_channels=())
    try:
        return {
            case.conversation_id: sorted(case.reasons)
            for case in store.list(limit=1000)
            if case.conversation_id.startswith(prefix)
        }
    finally:
        dispose_engines()


def bot_texts(url: str, sender: str) -> str:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'bot'"), {"s": sender}
            )
            return " ".join(row[0] for row in rows)
    finally:
        engine.dispose()


def promise_then_kill_then_check(stack: Stack, prefix: str) -> None:
    for kind, (message, promise, _) in PROMISED.items():
        _, replies = timed_say(stack, f"{prefix}-{kind}", message)
        assert promise in " ".join(replies), replies
    stack.stop("actions", signal.SIGKILL)  # at once, no grace
    stack.stop("rasa", signal.SIGKILL)

    url = stack.env["ESCALATION_DB_URL"]
    expected = {f"{prefix}-{kind}": [reason] for kind, (_, _, reason) in PROMISED.items()}
    assert reasons_by_sender(url, prefix) == expected  # before any restart
    stack.start_actions()
    stack.start_rasa()
    for kind, (_, promise, _) in PROMISED.items():  # the conversation was stored too
        assert promise.replace("'", "") in bot_texts(stack.env["TRACKER_DB_URL"], f"{prefix}-{kind}").replace(
            "'", ""
        )
    _, replies = timed_say(stack, f"{prefix}-routine", "yes")  # yes to the call back offered before the kill
    assert "call you back" in " ".join(replies), replies
    assert reasons_by_sender(url, prefix) == {**expected, f"{prefix}-routine": ["blood_clots", "callback"]}
    record(f"{prefix}.escalations_lost", 0)


def test_kill9_sqlite(tmp_path: Path) -> None:
    with running(tmp_path) as stack:
        promise_then_kill_then_check(stack, "kill9_sqlite")


def test_kill9_postgres(tmp_path: Path, postgres: PostgresServer) -> None:
    overrides = {
        "ESCALATION_DB_URL": postgres.new_database(),
        "TRACKER_DB_DIALECT": "postgresql",
        "TRACKER_DB_URL": postgres.new_database(),
    }
    with running(tmp_path, overrides) as stack:
        promise_then_kill_then_check(stack, "kill9_postgres")
