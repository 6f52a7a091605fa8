"""The console's HTML pages: the queue, one case with its transcript, the audit log.

Every view and every change is written to the audit log before the answer is sent, so
a view that cannot be audited is not shown (fail closed).
"""

from __future__ import annotations

from typing import Annotated, Callable, List, Optional

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from meso.cases.escalations import Escalation, EscalationNotFound, InvalidTransition
from meso.contract import ACTIVE_STATUSES, REASONS, STATUSES, URGENCIES
from meso.store.transcripts import TranscriptUnavailable
from staff.api import MAX_CASE_ID
from staff.auth import AdminDep, Refused, SessionDep, SessionForm
from staff.console import console_of
from staff.sessions import StaffSession
from staff.views import (
    CHANNEL_LABELS,
    OUTCOMES,
    REASON_LABELS,
    STATUS_FILTERS,
    URGENCY_LABELS,
    age,
    count_summary,
    mark_transcript,
    parse_filters,
    queue_order,
    statuses_for,
)

router = APIRouter(include_in_schema=False)
CaseId = Annotated[int, Path(ge=1, le=MAX_CASE_ID)]

QUEUE_LIMIT = 200
MAX_COMMENT = 1000


def _target(case_id: int) -> str:
    return f"escalation:{case_id}"


@router.get("/")
def queue(request: Request, session: SessionDep) -> Response:
    """Open and claimed cases, most urgent then oldest first, with filters and counts."""
    console = console_of(request)
    try:
        filters = parse_filters(request.query_params)
    except ValueError as exc:
        raise Refused(400, f"Unknown filter value ({exc}).") from exc
    cases: List[Escalation] = []
    for status in statuses_for(filters.status):
        cases += console.escalations.list(
            status=status,
            urgency=filters.urgency,
            reason=filters.reason,
            channel=filters.channel,
            limit=QUEUE_LIMIT,
        )
    cases = queue_order(cases)[:QUEUE_LIMIT]
    counts = console.escalations.counts()
    console.audit.record(
        session.user.username, "queue.view", detail=f"{filters.describe()} shown={len(cases)}".strip()
    )
    now = console.clock()
    return console.render(
        request,
        "queue.html",
        cases=cases,
        ages={case.id: age(case.created_at, now) for case in cases},
        counts=count_summary(counts),
        filters=filters,
        status_filters=STATUS_FILTERS,
        urgencies=URGENCIES,
        urgency_labels=URGENCY_LABELS,
        reasons=sorted(REASONS, key=lambda code: REASON_LABELS[code]),
        reason_labels=REASON_LABELS,
        channels=CHANNEL_LABELS,
    )


def _case_or_404(request: Request, session: StaffSession, case_id: int) -> Escalation:
    case = console_of(request).escalations.get(case_id)
    if case is None:
        console_of(request).audit.record(session.user.username, "case.view", _target(case_id), "not found")
        raise Refused(404, "There is no case with this number.")
    return case


@router.get("/escalations/{case_id}")
def case_page(
    request: Request,
    case_id: CaseId,
    session: SessionDep,
) -> Response:
    """One case: details, history, and the whole transcript with the flagged messages marked."""
    console = console_of(request)
    case = _case_or_404(request, session, case_id)
    events = console.escalations.events(case_id)
    transcript_error = False
    try:
        turns = console.transcripts.turns(case.conversation_id)
    except TranscriptUnavailable:
        turns, transcript_error = [], True
    console.audit.record(session.user.username, "case.view", _target(case_id))
    now = console.clock()
    return console.render(
        request,
        "case.html",
        case=case,
        age=age(case.created_at, now),
        events=events,
        lines=mark_transcript(turns, case, events),
        transcript_error=transcript_error,
        active=case.status in ACTIVE_STATUSES,
        outcomes=OUTCOMES,
        statuses=STATUSES,
        done=request.query_params.get("done", ""),
    )


def _apply(
    request: Request,
    session: StaffSession,
    case_id: int,
    action: str,
    change: Callable[[], object],
    done: str,
    detail: Optional[str] = None,
) -> Response:
    """Runs a store change, audits it (or its refusal) and returns to the case page."""
    console = console_of(request)
    user = session.user.username
    try:
        change()
    except EscalationNotFound as exc:
        console.audit.record(user, action, _target(case_id), "refused: not found")
        raise Refused(404, "There is no case with this number.") from exc
    except InvalidTransition as exc:
        console.audit.record(user, action, _target(case_id), "refused: case is resolved")
        raise Refused(409, "This case is already resolved.") from exc
    console.audit.record(user, action, _target(case_id), detail)
    return RedirectResponse(f"/escalations/{case_id}?done={done}", status_code=303)


@router.post("/escalations/{case_id}/claim")
def claim(
    request: Request,
    case_id: CaseId,
    form: SessionForm,
    session: SessionDep,
) -> Response:
    """Marks the case as handled by the signed-in user."""
    console = console_of(request)
    user = session.user.username
    return _apply(
        request, session, case_id, "case.claim", lambda: console.escalations.claim(case_id, user), "claimed"
    )


@router.post("/escalations/{case_id}/note")
def add_note(
    request: Request,
    case_id: CaseId,
    form: SessionForm,
    session: SessionDep,
) -> Response:
    """Adds a note to the case history (the audit log records that, not the text)."""
    console = console_of(request)
    text = str(form.get("note") or "").strip()
    if not text:
        raise Refused(400, "A note needs some text.")
    user = session.user.username
    return _apply(
        request,
        session,
        case_id,
        "case.note",
        lambda: console.escalations.add_note(case_id, user, text),
        "noted",
        f"{len(text)} characters",
    )


@router.post("/escalations/{case_id}/resolve")
def resolve(
    request: Request,
    case_id: CaseId,
    form: SessionForm,
    session: SessionDep,
) -> Response:
    """Closes the case with one of the outcomes and an optional comment."""
    console = console_of(request)
    outcome = str(form.get("outcome") or "")
    if outcome not in OUTCOMES:
        raise Refused(400, "Choose an outcome.")
    comment = str(form.get("comment") or "").strip()[:MAX_COMMENT]
    text = f"{outcome}: {comment}" if comment else outcome
    user = session.user.username
    return _apply(
        request,
        session,
        case_id,
        "case.resolve",
        lambda: console.escalations.resolve(case_id, user, text),
        "resolved",
        f"outcome={outcome}",
    )


@router.get("/audit")
def audit_page(
    request: Request,
    session: AdminDep,
    before: Annotated[Optional[int], Query(ge=1)] = None,
) -> Response:
    """The audit log, newest first (admins only)."""
    console = console_of(request)
    entries = console.audit.entries(limit=200, before=before)
    console.audit.record(session.user.username, "audit.view", detail=f"before={before}" if before else None)
    older = entries[-1].id if len(entries) == 200 else None
    return console.render(request, "audit.html", entries=entries, older=older)
