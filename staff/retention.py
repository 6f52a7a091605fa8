"""Retention: deletes conversations and escalations older than the retention period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from meso.accounts.audit import AuditLog
from meso.cases.escalations import EscalationStore
from meso.clock import utcnow
from meso.review.question_groups import UnansweredReport
from meso.review.unanswered import UnansweredStore
from meso.settings import Settings
from meso.store.transcripts import TranscriptStore


@dataclass(frozen=True)
class PurgeResult:
    """What one purge deleted."""

    cutoff: datetime
    conversations: int
    escalations: int
    unanswered: int = 0


def purge(
    settings: Settings, days: int, clock: Callable[[], datetime] = utcnow, actor: str = "system"
) -> PurgeResult:
    """Deletes tracker-store conversations and escalations inactive for `days`, and audits it.

    Declined questions kept for the staff's report, and the staff's marks on their
    wordings, go with the same cutoff.
    A conversation goes when its last event is older than the cutoff (all its events);
    a case goes when it was last updated before the cutoff (with its history and alerts).
    The audit log is kept: it names cases by number and holds no patient text.

    Raises:
        ValueError: `days` is below 1.
    """
    if days < 1:
        raise ValueError("the retention period is at least 1 day")
    cutoff = clock() - timedelta(days=days)
    conversations = TranscriptStore(settings.tracker_url).delete_older_than(cutoff)
    escalations = EscalationStore(settings.escalation_url, alert_channels=(), clock=clock).delete_older_than(
        cutoff
    )
    unanswered = UnansweredStore(settings.escalation_url).delete_older_than(cutoff)
    marks = UnansweredReport(settings.escalation_url).delete_older_than(cutoff)
    AuditLog(settings.escalation_url, clock=clock).record(
        actor,
        "retention.purge",
        detail=(
            f"days={days} cutoff={cutoff.isoformat()} conversations={conversations} "
            f"escalations={escalations} unanswered={unanswered} marks={marks}"
        ),
    )
    return PurgeResult(cutoff, conversations, escalations, unanswered)
