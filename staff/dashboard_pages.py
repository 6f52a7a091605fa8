"""The dashboard: what patients ask, at a glance, as charts drawn by the console, each with a CSV.

Counts only: no patient text reaches this page or its CSV files.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta, timezone
from typing import Annotated, Any, Dict, List, Sequence

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from meso.review import dashboard
from meso.review.answer_counts import AnswerCount
from meso.review.dashboard import SHARE_OUTCOMES, CaseTimes
from staff.auth import Refused, SessionDep
from staff.charts import grouped_hbars, stacked_bars
from staff.console import Console, console_of
from staff.views import CHANNEL_LABELS, REASON_LABELS

router = APIRouter(include_in_schema=False)
Days = Annotated[int, Query(ge=7, le=366)]
TOP_TOPICS = 7
OUTCOME_LABELS = {"answered": "answered", "declined": "declined (no information)", "escalated": "passed to staff"}
OUTCOME_COLOURS = ("#2ca02c", "#ff7f0e", "#d62728")


def _period(console: Console, days: int) -> Dict[str, Any]:
    today = console.clock().date()
    first = today - timedelta(days=days - 1)
    counts = console.dashboard.answer_counts(first)
    cases = console.dashboard.cases(datetime.combine(first, time.min, tzinfo=timezone.utc))
    day_list = [first + timedelta(days=i) for i in range(days)]
    weeks = sorted({dashboard.week_of(day) for day in day_list})
    return {"first": first, "today": today, "counts": counts, "cases": cases, "days": day_list, "weeks": weeks}


def _questions_chart(console: Console, period: Dict[str, Any]) -> Any:
    per_day = dashboard.questions_per_day(period["counts"], period["days"])
    totals: Dict[str, int] = {}
    for topics in per_day.values():
        for topic, n in topics.items():
            if topic:
                totals[topic] = totals.get(topic, 0) + n
    top = sorted(totals, key=lambda t: (-totals[t], t))[:TOP_TOPICS]
    labels = console.fact_versions.published().book.topics
    series = [(labels.get(t, t), [per_day[d].get(t, 0) for d in period["days"]]) for t in top]
    others = [sum(n for t, n in per_day[d].items() if t and t not in top) for d in period["days"]]
    if any(others):
        series.append(("other topics", others))
    series.append(("not answered", [per_day[d].get("", 0) for d in period["days"]]))
    topic_colours = ("#1f77b4", "#aec7e8", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
    colours = topic_colours[: len(series) - 1] + ("#ff7f0e",)  # "not answered" always orange
    categories = [d.strftime("%m-%d") for d in period["days"]]
    return stacked_bars("Questions per day by topic", categories, series, colours)


def _outcome_chart(table: Dict[str, Dict[str, int]], label: str, names: Dict[str, str]) -> Any:
    categories = list(table)
    series = [(OUTCOME_LABELS[o], [table[c][o] for c in categories]) for o in SHARE_OUTCOMES]
    shares = [(name, [round(100 * v / max(1, sum(table[c].values())), 1) for v, c in zip(values, categories, strict=True)])
              for name, values in series]
    return grouped_hbars(label, [names.get(c, c) for c in categories], shares, OUTCOME_COLOURS, unit=" %")


def _escalation_chart(period: Dict[str, Any]) -> Any:
    per_week = dashboard.escalations_per_week(period["cases"], period["weeks"])
    reasons = sorted({r for reasons in per_week.values() for r in reasons})
    series = [(REASON_LABELS.get(r, r), [per_week[w].get(r, 0) for w in period["weeks"]]) for r in reasons]
    return stacked_bars("Escalations per reason per week", [w.strftime("week of %m-%d") for w in period["weeks"]], series)


def _handling_chart(period: Dict[str, Any]) -> Any:
    table = dashboard.handling_times(period["cases"])
    channels = list(table)
    names = ("claim_median", "claim_p90", "resolve_median", "resolve_p90")
    labels = ("to claim, median", "to claim, 90th percentile", "to resolve, median", "to resolve, 90th percentile")
    series = [(label, [table[c][name] or 0 for c in channels]) for name, label in zip(names, labels, strict=True)]
    return grouped_hbars(
        "Minutes from case opened to claimed and to resolved, by channel",
        [CHANNEL_LABELS.get(c, c) for c in channels], series, ("#9ecae1", "#3182bd", "#a1d99b", "#31a354"), unit=" min",
    )


@router.get("/dashboard")
def dashboard_page(request: Request, session: SessionDep, days: Days = 28) -> Response:
    """Four charts over the last `days` days (counts only)."""
    console = console_of(request)
    period = _period(console, days)
    by_channel = dashboard.outcome_shares(period["counts"], period["cases"], by="channel")
    by_language = dashboard.outcome_shares(period["counts"], period["cases"], by="language")
    console.audit.record(session.user.username, "dashboard.view", detail=f"days={days}")
    totals = {o: sum(row[o] for row in by_channel.values()) for o in SHARE_OUTCOMES}
    return console.render(
        request,
        "dashboard.html",
        days=days,
        first=period["first"],
        today=period["today"],
        totals=totals,
        outcome_labels=OUTCOME_LABELS,
        questions_chart=_questions_chart(console, period),
        channel_chart=_outcome_chart(by_channel, "Share answered, declined and passed to staff, by channel", CHANNEL_LABELS),
        language_chart=_outcome_chart(by_language, "Share answered, declined and passed to staff, by language", {}),
        escalation_chart=_escalation_chart(period),
        handling_chart=_handling_chart(period),
        handling=dashboard.handling_times(period["cases"]),
    )


def _csv(name: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _fmt(value: Any) -> Any:
    return "" if value is None else value


@router.get("/dashboard/{name}.csv")
def dashboard_csv(request: Request, name: str, session: SessionDep, days: Days = 28) -> Response:
    """The numbers of one chart: questions, outcomes, escalations or handling."""
    console = console_of(request)
    if name not in ("questions", "outcomes", "escalations", "handling"):
        raise Refused(404, "This page does not exist.")
    period = _period(console, days)
    counts: List[AnswerCount] = period["counts"]
    cases: List[CaseTimes] = period["cases"]
    console.audit.record(session.user.username, "dashboard.export", detail=f"{name} days={days}")
    rows: List[Sequence[Any]] = []
    if name == "questions":
        rows = [(c.day.isoformat(), c.topic, c.outcome, c.channel, c.language, c.count) for c in counts]
        return _csv(name, ("day", "topic", "outcome", "channel", "language", "questions"), rows)
    if name == "outcomes":
        for by in ("channel", "language"):
            for key, row in dashboard.outcome_shares(counts, cases, by=by).items():
                rows.append((by, key, *(row[o] for o in SHARE_OUTCOMES)))
        return _csv(name, ("by", "value", *SHARE_OUTCOMES), rows)
    if name == "escalations":
        per_week = dashboard.escalations_per_week(cases, period["weeks"])
        rows = [(w.isoformat(), r, n) for w, reasons in per_week.items() for r, n in sorted(reasons.items())]
        return _csv(name, ("week", "reason", "cases"), rows)
    table = dashboard.handling_times(cases)
    keys = ("cases", "claim_median", "claim_p90", "resolve_median", "resolve_p90")
    rows = [(channel, *(_fmt(row[k]) for k in keys)) for channel, row in table.items()]
    return _csv(name, ("channel", "cases", "claim_median_min", "claim_p90_min", "resolve_median_min", "resolve_p90_min"), rows)



