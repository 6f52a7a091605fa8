"""Pure presentation logic: ages, filters, queue order, transcript highlights, filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from meso.cases.escalations import CaseEvent, Escalation
from meso.store.transcripts import ASSISTANT, PATIENT, Turn
from staff.rendering import clip, inert
from staff.views import QueueFilters, format_age, mark_transcript, parse_filters, queue_order

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


def case(case_id: int, urgency: str, minutes: int, message: str = "m") -> Escalation:
    at = T0 + timedelta(minutes=minutes)
    return Escalation(
        case_id, f"c{case_id}", "sms", urgency, ("booking",), message, None, "open", at, at, None, None
    )


@pytest.mark.parametrize(
    "delta,text",
    [
        (timedelta(seconds=30), "just now"),
        (timedelta(minutes=12), "12 min"),
        (timedelta(minutes=60), "1 h"),
        (timedelta(minutes=185), "3 h 5 min"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=2, hours=4, minutes=9), "2 d 4 h"),
        (timedelta(minutes=-5), "just now"),
    ],
)
def test_format_age(delta: timedelta, text: str) -> None:
    assert format_age(delta) == text


def test_parse_filters_accepts_the_contract_only() -> None:
    assert parse_filters({}) == QueueFilters()
    assert parse_filters(
        {"status": "resolved", "urgency": "urgent", "reason": "minor", "channel": "sms"}
    ) == QueueFilters("resolved", "urgent", "minor", "sms")
    for bad in ({"status": "x"}, {"urgency": "high"}, {"reason": "flu"}, {"channel": "<b>"}):
        with pytest.raises(ValueError):
            parse_filters(bad)


def test_queue_order_is_urgency_then_age() -> None:
    cases = [case(1, "routine", 0), case(2, "urgent", 30), case(3, "emergency", 50), case(4, "urgent", 10)]
    assert [c.id for c in queue_order(cases)] == [3, 4, 2, 1]


def test_trigger_and_merged_messages_are_marked_after_cleaning() -> None:
    escalation = case(1, "urgent", 0, message="my face is swollen")
    events = [
        CaseEvent(1, 1, "created", None, None, T0),
        CaseEvent(2, 1, "merged", None, "and it is hot", T0),
    ]
    turns = [
        Turn(PATIENT, "hello", T0),
        Turn(PATIENT, "my face\u202e is  swollen", T0),
        Turn(ASSISTANT, "my face is swollen", T0),
        Turn(PATIENT, "and it is hot", T0),
    ]
    assert [line.mark for line in mark_transcript(turns, escalation, events)] == [
        "",
        "trigger",
        "",
        "flagged",
    ]


def test_inert_and_clip() -> None:
    assert inert("a\u202eb\x1bc\u2066d") == "abcd"
    assert inert(None) == ""
    assert clip("x" * 200, 10) == "x" * 9 + "\u2026"
    assert clip("short", 10) == "short"
