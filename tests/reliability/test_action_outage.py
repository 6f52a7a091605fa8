"""Action server down or hung: a reply with the clinic's phone within 5 s, 911 still works, /healthz shows it.

Real Rasa and action servers on loopback; the outage is real: the action server is
stopped, frozen with SIGSTOP, or replaced by a listener that accepts and never answers.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from devstack.stack import Stack
from meso.cases.escalations import EscalationStore, dispose_engines
from meso.cases.spool import Spool
from tests.reliability.outages import hung_listener
from tests.reliability.support import (
    CLINIC_PHONE,
    OUTAGE,
    REPLY_BUDGET_S,
    health,
    record,
    running,
    timed_say,
    wait_healthy,
)

EMERGENCY = "my lips and tongue are swelling up"
# Sent while the action server is hung or stopped: each must reach the staff's queue once.
RISKY = {  # sender suffix: (message, reason, urgency)
    "911": ("I can't breathe after my injections", "emergency", "emergency"),
    "complication": ("there are open sores where I had the injections last week", "complication", "urgent"),
    "disclosure": ("I just found out I'm expecting, should I cancel my appointment?", "pregnancy", "routine"),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running(tmp_path_factory.mktemp("action_outage")) as started:
        yield started


def assert_outage_reply(
    seconds: float, replies: List[str], contact: str = CLINIC_PHONE, figure: str = ""
) -> None:
    """One clear reply naming how to reach the clinic, within the budget."""
    if figure:
        record(figure, seconds)
    assert seconds < REPLY_BUDGET_S, f"reply took {seconds:.2f} s"
    outages = [text for text in replies if text.startswith(OUTAGE)]
    assert len(outages) == 1, replies
    assert contact in outages[0] and "911" in outages[0]


def assert_emergency_reply(seconds: float, replies: List[str], figure: str = "") -> None:
    if figure:
        record(figure, seconds)
    assert seconds < REPLY_BUDGET_S, f"reply took {seconds:.2f} s"
    assert replies and replies[0].startswith("Please call 911 now"), replies


def assert_answers_again(stack: Stack, sender: str) -> None:
    wait_healthy(stack)
    _, replies = timed_say(stack, sender, "how much does it cost?")
    assert replies and not any(text.startswith(OUTAGE) for text in replies), replies


def test_action_server_down(stack: Stack) -> None:
    _, asked = timed_say(stack, "down-form", "please call me back")
    assert any("name" in text for text in asked), asked  # the call-back form is waiting
    stack.stop("actions")
    try:
        assert_outage_reply(
            *timed_say(stack, "down-faq", "how much does it cost?"), figure="actions_down.reply_s"
        )
        assert_outage_reply(
            *timed_say(stack, "down-form", "Ana Lopez"), figure="actions_down.mid_form_reply_s"
        )
        assert_emergency_reply(*timed_say(stack, "down-911", EMERGENCY), figure="actions_down.emergency_s")
        status, report = health(stack)
        assert status == 503 and report["ok"] is False
        assert report["action_server"]["up"] is False and report["action_server"]["failures"] >= 1
    finally:
        stack.start_actions()
    assert_answers_again(stack, "down-after")


def test_action_server_hung(stack: Stack) -> None:
    process = stack.processes["actions"]
    os.kill(process.pid, signal.SIGSTOP)
    try:
        # Worst case first: a call-back request runs three custom actions in one turn.
        assert_outage_reply(
            *timed_say(stack, "hung-form", "please call me back"), figure="actions_hung.first_reply_s"
        )
        assert_outage_reply(
            *timed_say(stack, "hung-faq", "how much does it cost?"), figure="actions_hung.next_reply_s"
        )
        assert_emergency_reply(*timed_say(stack, "hung-911", EMERGENCY), figure="actions_hung.emergency_s")
        started = time.monotonic()
        status, report = health(stack)
        record("actions_hung.healthz_s", time.monotonic() - started)
        assert time.monotonic() - started < 3
        assert status == 503 and report["action_server"]["up"] is False
        assert report["action_server"]["last_error"] == "TimeoutError"
    finally:
        os.kill(process.pid, signal.SIGCONT)
    assert_answers_again(stack, "hung-after")


def test_listener_that_never_answers_and_no_phone_number_known(tmp_path: Path) -> None:
    with hung_listener() as port:
        overrides = {"ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook", "CLINIC_PHONE": ""}
        with running(tmp_path, overrides, actions=False) as stack:
            unknown = "I don't have the phone number for San Fernando Medical Center"
            assert_outage_reply(
                *timed_say(stack, "mute-faq", "does it hurt?"), contact=unknown, figure="actions_mute.reply_s"
            )
            assert_emergency_reply(
                *timed_say(stack, "mute-911", EMERGENCY), figure="actions_mute.emergency_s"
            )
            status, report = health(stack)
            assert status == 503 and report["action_server"]["up"] is False


def queued(stack: Stack, sender: str) -> List[tuple]:
    """(reasons, urgency, number of case events) of the sender's cases."""
    store = EscalationStore(stack.env["ESCALATION_DB_URL"], alert_channels=())
    try:
        return [
            (case.reasons, case.urgency, len(store.events(case.id)))
            for case in store.list(limit=1000)
            if case.conversation_id == sender
        ]
    finally:
        dispose_engines()


def send_risky_during_outage(stack: Stack, prefix: str) -> None:
    for suffix, (message, _, urgency) in RISKY.items():
        seconds, replies = timed_say(stack, f"{prefix}-{suffix}", message)
        assert seconds < REPLY_BUDGET_S, f"reply took {seconds:.2f} s"
        said = " ".join(replies)
        if urgency == "emergency":
            assert replies[0].startswith("Please call 911 now"), replies
        else:
            assert "call 911 now" not in said.lower(), replies
        # The outage reply says only what is true: the case is in the queue, nobody alerted.
        assert any(text.startswith(OUTAGE) and "staff's queue" in text for text in replies), replies
        assert "alerted" not in said, replies


def assert_each_queued_once(stack: Stack, prefix: str) -> None:
    for suffix, (_, reason, urgency) in RISKY.items():
        assert queued(stack, f"{prefix}-{suffix}") == [((reason,), urgency, 1)], suffix


@pytest.mark.parametrize("outage", ["hung", "killed"])
def test_no_escalation_is_lost_while_the_action_server_is_out(stack: Stack, outage: str) -> None:
    process = stack.processes["actions"]
    prefix = f"lost-{outage}"
    if outage == "hung":
        os.kill(process.pid, signal.SIGSTOP)
    else:
        stack.stop("actions", signal.SIGKILL)
    try:
        send_risky_during_outage(stack, prefix)
        assert_each_queued_once(stack, prefix)  # recorded by the Rasa server itself
    finally:
        if outage == "hung":
            os.kill(process.pid, signal.SIGCONT)
        else:
            stack.start_actions()
    wait_healthy(stack)
    time.sleep(2)  # a hung server that woke up runs the turns it was sent: nothing doubles
    assert_each_queued_once(stack, prefix)
    assert Spool(stack.data_dir / "spool").pending() == 0
