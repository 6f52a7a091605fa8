"""The facts pages: published facts, editing as a new version, review, history and restore.

Staff save drafts and send them for review; clinicians and admins approve (which
publishes, live for patients within seconds) or send back with a comment. Each step is
written to the audit log; a refused step too. The rules live in `meso.review.fact_versions`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Dict, List, Optional

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from meso.content.facts import BODY_AREAS, FactsError
from meso.review.fact_versions import IN_REVIEW, OPEN_STATUSES, FactVersion, ReviewRefused, UnknownVersion
from staff.auth import Refused, SessionDep, SessionForm
from staff.console import Console, console_of
from staff.sessions import StaffSession

router = APIRouter(include_in_schema=False)
FactId = Annotated[str, Path(regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
VersionId = Annotated[int, Path(ge=1, le=2**31 - 1)]
STATUS_LABELS = {
    "draft": "draft",
    "in_review": "in review",
    "sent_back": "sent back",
    "published": "published",
    "superseded": "superseded",
    "replaced": "replaced by a later draft",
}


def form_body(form: FormData, fact_id: Optional[str] = None) -> Dict[str, Any]:
    """A fact entry from the edit form (the loader judges it; nothing is dropped silently)."""
    text = lambda name: str(form.get(name) or "").strip()  # noqa: E731
    body: Dict[str, Any] = {
        "id": fact_id or text("id"),
        "topic": text("topic"),
        "questions": [line.strip() for line in text("questions").splitlines() if line.strip()],
        "areas": [area for area in re.split(r"[\s,]+", text("areas").lower()) if area],
        "web": text("web"),
        "sms": text("sms"),
    }
    if text("source_kind") == "clinic":
        source: Dict[str, Any] = {"provided_by": text("provided_by"), "provided_on": text("provided_on")}
    else:
        paragraph = text("paragraph")
        source = {"document": text("document"), "paragraph": int(paragraph) if paragraph.isdigit() else paragraph}
    source = {key: value for key, value in source.items() if value != ""}
    if source:
        body["source"] = source
    return {key: value for key, value in body.items() if value not in ("", [])}


def _form_context(console: Console, body: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
    data = console.fact_versions.published().data
    source = body.get("source") or {}
    return {
        "body": body,
        "questions_text": "\n".join(body.get("questions") or []),
        "areas_text": ", ".join(body.get("areas") or []),
        "source": source,
        "clinic_source": "provided_by" in source,
        "topics": data["topics"],
        "documents": data["documents"],
        "body_areas": sorted(BODY_AREAS),
        "problems": [],
        "fact": None,
        "history": [],
        "status_labels": STATUS_LABELS,
        **extra,
    }


def _problems(error: FactsError) -> List[str]:
    return [problem.removeprefix("this version: ") for problem in error.problems]


@router.get("/facts")
def facts_page(request: Request, session: SessionDep) -> Response:
    """The published facts by topic, and the versions waiting for someone."""
    console = console_of(request)
    published = console.fact_versions.published()
    numbers = console.fact_versions.published_numbers()
    waiting = console.fact_versions.open_versions()
    return console.render(
        request,
        "facts.html",
        book=published.book,
        seq=published.seq,
        numbers=numbers,
        waiting=waiting,
        status_labels=STATUS_LABELS,
        done=request.query_params.get("done", ""),
    )


@router.get("/facts/new")
def new_fact_page(request: Request, session: SessionDep) -> Response:
    """An empty fact, optionally with the wordings of an unanswered group as its questions."""
    console = console_of(request)
    group_id = request.query_params.get("group", "")
    group = console.unanswered.find(group_id) if group_id else None
    body: Dict[str, Any] = {"questions": group.examples} if group else {}
    return console.render(
        request, "fact_form.html", **_form_context(console, body, new=True, group_id=group.id if group else "")
    )


def _save(
    request: Request, session: StaffSession, form: FormData, fact_id: Optional[str], new: bool
) -> Response:
    console = console_of(request)
    user = session.user.username
    body = form_body(form, fact_id)
    if new and console.fact_versions.published().book.get(str(body.get("id"))):
        problems = [f"a fact with the id {body.get('id')!r} exists: edit it instead"]
        return console.render(request, "fact_form.html", status_code=400, **_form_context(
            console, body, new=True, group_id=str(form.get("group") or ""), problems=problems))
    submit = form.get("action") == "submit"
    try:
        version = console.fact_versions.save(body, user, note=str(form.get("note") or ""), submit=submit)
    except FactsError as error:
        console.audit.record(user, "fact.save", f"fact:{body.get('id', '')}", f"refused: {len(error.problems)} problems")
        return console.render(request, "fact_form.html", status_code=400, **_form_context(
            console, body, new=new, group_id=str(form.get("group") or ""), problems=_problems(error)))
    console.audit.record(
        user, "fact.submit" if submit else "fact.save", f"fact:{version.fact_id}", f"version={version.number}"
    )
    group_id = str(form.get("group") or "")
    group = console.unanswered.find(group_id) if group_id else None
    if group is not None:
        console.unanswered.mark(group, "answered", user, version.fact_id, version.id)
        console.audit.record(user, "unanswered.mark", f"group:{group.id}", f"answered fact={version.fact_id}")
    return RedirectResponse(f"/facts/versions/{version.id}?done={'submitted' if submit else 'saved'}", status_code=303)


@router.post("/facts/new")
def create_fact(request: Request, form: SessionForm, session: SessionDep) -> Response:
    """Saves a new fact as its first version."""
    return _save(request, session, form, None, new=True)


@router.get("/facts/{fact_id}")
def fact_page(request: Request, fact_id: FactId, session: SessionDep) -> Response:
    """One fact: what patients get now, the edit form, and every version."""
    console = console_of(request)
    fact = console.fact_versions.published().book.get(fact_id)
    history = console.fact_versions.history(fact_id)
    if fact is None and not history:
        raise Refused(404, "There is no fact with this id.")
    current = next((v for v in history if v.status == "published"), None)
    body = current.body if current else history[0].body
    return console.render(
        request,
        "fact_form.html",
        **_form_context(console, body, new=False, group_id="", fact=fact, history=history),
    )


@router.post("/facts/{fact_id}")
def edit_fact(request: Request, fact_id: FactId, form: SessionForm, session: SessionDep) -> Response:
    """Saves an edit of a fact as a new version."""
    return _save(request, session, form, fact_id, new=False)


def _version_or_404(console: Console, version_id: int) -> FactVersion:
    try:
        return console.fact_versions.get(version_id)
    except UnknownVersion as exc:
        raise Refused(404, "There is no such version.") from exc


@router.get("/facts/versions/{version_id}")
def version_page(request: Request, version_id: VersionId, session: SessionDep) -> Response:
    """One version: its text, what it changes, its review, and what may be done with it."""
    console = console_of(request)
    version = _version_or_404(console, version_id)
    user = session.user
    return console.render(
        request,
        "fact_version.html",
        version=version,
        diff=console.fact_versions.diff(version),
        status_labels=STATUS_LABELS,
        may_review=user.can_review and version.status == IN_REVIEW and version.author != user.username,
        may_submit=version.author == user.username and version.status in ("draft", "sent_back"),
        may_restore=version.status not in OPEN_STATUSES,
        done=request.query_params.get("done", ""),
    )


def _step(request: Request, session: StaffSession, version_id: int, action: str, form: FormData) -> Response:
    console = console_of(request)
    user = session.user
    version = _version_or_404(console, version_id)
    target = f"fact:{version.fact_id}"
    comment = str(form.get("comment") or "")
    store = console.fact_versions
    try:
        if action == "submit":
            result = store.submit(version_id, user.username)
        elif action == "approve":
            book = store.approve(version_id, user.username, user.role, comment)
            result = store.get(version_id)
        elif action == "send_back":
            result = store.send_back(version_id, user.username, user.role, comment)
        else:
            result = store.restore(version_id, user.username)
    except ReviewRefused as exc:
        console.audit.record(user.username, f"fact.{action}", target, f"refused: version={version.number}")
        raise Refused(403 if "clinician" in str(exc) or "own" in str(exc) else 409, str(exc)) from exc
    except FactsError as exc:
        console.audit.record(user.username, f"fact.{action}", target, f"refused: {len(exc.problems)} problems")
        raise Refused(409, "The book would not load with this version: " + "; ".join(_problems(exc))) from exc
    detail = f"version={version.number}"
    if action == "approve":
        detail += f" book={book.seq}"
    elif action == "restore":
        detail = f"version={version.number} as version={result.number}"
    console.audit.record(user.username, f"fact.{action}", target, detail)
    return RedirectResponse(f"/facts/versions/{result.id}?done={action}", status_code=303)


@router.post("/facts/versions/{version_id}/{action}")
def version_step(
    request: Request, version_id: VersionId, action: str, form: SessionForm, session: SessionDep
) -> Response:
    """Send for review, approve, send back or restore a version."""
    if action not in ("submit", "approve", "send_back", "restore"):
        raise Refused(404, "This page does not exist.")
    return _step(request, session, version_id, action, form)
