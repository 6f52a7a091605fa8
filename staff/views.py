"""Pure presentation logic for the console: filters, queue order, ages, labels, highlights.

No web framework here: these functions take store objects and return plain values, so
they are tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set

from meso.cases.escalations import CaseEvent, Escalation
from meso.contract import ACTIVE_STATUSES, REASONS, STATUSES, URGENCIES
from meso.store.transcripts import PATIENT, Turn
from meso.text import clean_text

# Queue status filter: "active" (open and claimed, the default) or "all" besides the statuses.
STATUS_FILTERS = ("active", *STATUSES, "all")
CHANNEL_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
CHANNEL_LABELS = {"socketio": "Web chat", "sms": "SMS", "rest": "REST"}

URGENCY_LABELS = {"emergency": "EMERGENCY", "urgent": "URGENT", "routine": "Routine"}
REASON_LABELS = {
    "emergency": "Emergency",
    "complication": "Post-treatment complication",
    "pregnancy": "Pregnancy",
    "blood_clots": "Blood clots",
    "stroke": "Stroke",
    "cancer": "Cancer",
    "minor": "Under 16",
    "human_request": "Asked for a person",
    "callback": "Call-back request",
    "booking": "Booking request",
    "possible_emergency": "Possible emergency (classifier only)",
}
OUTCOMES = (
    "Called back, question answered",
    "Sent to emergency care",
    "Appointment booked",
    "Referred to the doctor",
    "Could not reach the patient",
    "No action needed",
)


@dataclass(frozen=True)
class QueueFilters:
    """Validated queue filters; None means "any"."""

    status: str = "active"
    urgency: Optional[str] = None
    reason: Optional[str] = None
    channel: Optional[str] = None

    def describe(self) -> str:
        """A short text for the audit log (codes only)."""
        return " ".join(f"{k}={v}" for k, v in vars(self).items() if v)


def parse_filters(params: Mapping[str, str]) -> QueueFilters:
    """Filters from query parameters; empty values mean "any".

    Raises:
        ValueError: A value outside the contract.
    """
    status = params.get("status") or "active"
    urgency = params.get("urgency") or None
    reason = params.get("reason") or None
    channel = params.get("channel") or None
    if status not in STATUS_FILTERS:
        raise ValueError("unknown status")
    if urgency is not None and urgency not in URGENCIES:
        raise ValueError("unknown urgency")
    if reason is not None and reason not in REASONS:
        raise ValueError("unknown reason")
    if channel is not None and not CHANNEL_PATTERN.match(channel):
        raise ValueError("bad channel")
    return QueueFilters(status, urgency, reason, channel)


def statuses_for(status_filter: str) -> Sequence[Optional[str]]:
    """The store statuses one queue filter needs (None: every status)."""
    if status_filter == "active":
        return ACTIVE_STATUSES
    if status_filter == "all":
        return (None,)
    return (status_filter,)


def queue_order(cases: Iterable[Escalation]) -> List[Escalation]:
    """Most urgent first, then oldest first (the store's order, across several lists)."""
    return sorted(cases, key=lambda case: (URGENCIES.index(case.urgency), case.created_at, case.id))


def format_age(delta: timedelta) -> str:
    """A compact age: "just now", "12 min", "3 h 5 min", "2 d 4 h"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def age(since: datetime, now: datetime) -> str:
    """`format_age` of the time between `since` and `now`."""
    return format_age(now - since)


def _norm(text: Optional[str]) -> str:
    return " ".join(clean_text(text).split())


@dataclass(frozen=True)
class TranscriptLine:
    """A transcript turn with its highlight: "trigger" (opened the case), "flagged" or ""."""

    turn: Turn
    mark: str


def mark_transcript(
    turns: Sequence[Turn], case: Escalation, events: Sequence[CaseEvent]
) -> List[TranscriptLine]:
    """Marks the patient turns that opened the case or were merged into it.

    The escalation store keeps the flagged messages cleaned (`clean_text`), so turns are
    compared after the same cleaning and with whitespace collapsed.
    """
    trigger = _norm(case.message)
    merged: Set[str] = {_norm(e.detail) for e in events if e.kind == "merged" and e.detail}
    lines = []
    for turn in turns:
        mark = ""
        if turn.who == PATIENT:
            text = _norm(turn.text)
            if text and text == trigger:
                mark = "trigger"
            elif text and text in merged:
                mark = "flagged"
        lines.append(TranscriptLine(turn, mark))
    return lines


def count_summary(counts: Dict[str, Dict[str, int]]) -> List[Dict[str, object]]:
    """The counts bar: unresolved cases per urgency, then cases per status."""
    urgency = counts.get("urgency", {})
    status = counts.get("status", {})
    items: List[Dict[str, object]] = [
        {"label": URGENCY_LABELS[name], "value": urgency.get(name, 0), "kind": f"urgency-{name}"}
        for name in URGENCIES
    ]
    items += [
        {"label": name.capitalize(), "value": status.get(name, 0), "kind": "status"} for name in STATUSES
    ]
    return items
