"""What patients ask, in numbers: the figures behind the staff dashboard.

Counts only. Questions come from the answer counters (`meso.review.answer_counts`), cases
from the escalation tables (when each was opened, its reasons and channel, and the
times of its first claim and resolution). Nothing here reads message text.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

from meso.accounts.audit import shared_engine
from meso.review.answer_counts import ANSWERED, DECLINED, AnswerCount, AnswerCounts
from meso.store.tables import escalations_table, events_table

ESCALATED = "escalated"
SHARE_OUTCOMES = (ANSWERED, DECLINED, ESCALATED)


@dataclass(frozen=True)
class CaseTimes:
    """One case's figures: when, where, why, and minutes to its first claim and resolution."""

    opened: datetime
    channel: str
    reasons: Tuple[str, ...]
    to_claim: Optional[float]
    to_resolve: Optional[float]


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """The nearest-rank percentile (share 0.5: the median), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def week_of(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def questions_per_day(counts: Sequence[AnswerCount], days: Sequence[date]) -> Dict[date, Dict[str, int]]:
    """day -> topic -> questions answered, with "" for the questions declined."""
    table: Dict[date, Dict[str, int]] = {day: defaultdict(int) for day in days}
    for count in counts:
        if count.day in table:
            table[count.day][count.topic if count.outcome == ANSWERED else ""] += count.count
    return {day: dict(topics) for day, topics in table.items()}


def outcome_shares(
    counts: Sequence[AnswerCount], cases: Sequence[CaseTimes], by: str = "channel"
) -> Dict[str, Dict[str, int]]:
    """channel (or language) -> answered / declined / escalated counts."""
    table: Dict[str, Dict[str, int]] = defaultdict(lambda: {outcome: 0 for outcome in SHARE_OUTCOMES})
    for count in counts:
        table[count.channel if by == "channel" else count.language][count.outcome] += count.count
    for case in cases:
        table[case.channel if by == "channel" else "en"][ESCALATED] += 1
    return dict(sorted(table.items()))


def escalations_per_week(cases: Sequence[CaseTimes], weeks: Sequence[date]) -> Dict[date, Dict[str, int]]:
    """week (its Monday) -> reason code -> cases opened that week."""
    table: Dict[date, Dict[str, int]] = {week: defaultdict(int) for week in weeks}
    for case in cases:
        week = week_of(case.opened.date())
        if week in table:
            for reason in case.reasons:
                table[week][reason] += 1
    return {week: dict(reasons) for week, reasons in table.items()}


def handling_times(cases: Sequence[CaseTimes]) -> Dict[str, Dict[str, Optional[float]]]:
    """channel -> median and 90th percentile minutes to claim and to resolve, and the case count."""
    by_channel: Dict[str, List[CaseTimes]] = defaultdict(list)
    for case in cases:
        by_channel[case.channel].append(case)
    table: Dict[str, Dict[str, Optional[float]]] = {}
    for channel, group in sorted(by_channel.items()):
        claims = [case.to_claim for case in group if case.to_claim is not None]
        resolves = [case.to_resolve for case in group if case.to_resolve is not None]
        table[channel] = {
            "cases": float(len(group)),
            "claim_median": percentile(claims, 0.5),
            "claim_p90": percentile(claims, 0.9),
            "resolve_median": percentile(resolves, 0.5),
            "resolve_p90": percentile(resolves, 0.9),
        }
    return table


class DashboardData:
    """Reads the counts and case times from the escalation database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.counts = AnswerCounts(url)

    def answer_counts(self, first_day: date) -> List[AnswerCount]:
        """The answer counters from `first_day` on."""
        return self.counts.since(first_day)

    def cases(self, since: datetime) -> List[CaseTimes]:
        """Cases opened at or after `since` (aware UTC), with their handling times."""
        esc, ev = escalations_table, events_table
        first_claim = (
            sa.select(sa.func.min(ev.c.created_at)).where(ev.c.escalation_id == esc.c.id, ev.c.kind == "claimed")
        ).scalar_subquery()
        first_resolve = (
            sa.select(sa.func.min(ev.c.created_at)).where(ev.c.escalation_id == esc.c.id, ev.c.kind == "resolved")
        ).scalar_subquery()
        query = sa.select(
            esc.c.created_at, esc.c.channel, esc.c.reasons,
            first_claim.label("claimed"), first_resolve.label("resolved"),
        ).where(esc.c.created_at >= since)
        with shared_engine(self.url).connect() as connection:
            rows = connection.execute(query).all()
        cases = []
        for row in rows:
            opened = row.created_at
            cases.append(
                CaseTimes(
                    opened=opened,
                    channel=row.channel,
                    reasons=tuple(json.loads(row.reasons)),
                    to_claim=_minutes(opened, row.claimed),
                    to_resolve=_minutes(opened, row.resolved),
                )
            )
        return cases


def _minutes(start: datetime, end: Optional[datetime]) -> Optional[float]:
    """Minutes from start to end (the min() of a subquery comes back naive UTC or as text)."""
    if end is None:
        return None
    if isinstance(end, str):
        end = datetime.fromisoformat(end)
    if end.tzinfo is None:
        start = start.replace(tzinfo=None)
    return round((end - start).total_seconds() / 60, 1)
