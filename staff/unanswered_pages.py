"""The unanswered questions page: what patients asked that the facts don't answer, grouped.

A group is marked answered by a fact (its wordings go into a draft of that fact, which
then goes through review like any edit), out of scope, or ignored. Viewing the page is
audited (it shows patient wording), and so is each mark.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from meso.content.facts import FactsError
from meso.review.question_groups import ANSWERED, DECISIONS, QuestionGroup
from staff.auth import Refused, SessionDep, SessionForm
from staff.console import console_of

router = APIRouter(include_in_schema=False)
DECISION_LABELS = {"answered": "answered by a fact", "out_of_scope": "out of scope", "ignored": "ignored"}


@router.get("/unanswered")
def unanswered_page(request: Request, session: SessionDep) -> Response:
    """Groups still to triage, newest first (`?show=decided` for the marked ones)."""
    console = console_of(request)
    decided = request.query_params.get("show") == "decided"
    groups = console.unanswered.groups(decided=decided)
    console.audit.record(session.user.username, "unanswered.view", detail=f"decided={decided} groups={len(groups)}")
    book = console.fact_versions.published().book
    return console.render(
        request,
        "unanswered.html",
        groups=groups,
        decided=decided,
        facts=book.facts,
        decision_labels=DECISION_LABELS,
        done=request.query_params.get("done", ""),
    )


def _with_wordings(questions: list, group: QuestionGroup) -> list:
    known = {question.lower().rstrip("?!. ") for question in questions}
    added = [text for text in group.examples if text.lower().rstrip("?!. ") not in known]
    return list(questions) + list(dict.fromkeys(added))


@router.post("/unanswered/{group_id}")
def mark_group(request: Request, group_id: str, form: SessionForm, session: SessionDep) -> Response:
    """Marks a group; answered by a fact makes a draft of the fact with the group's wordings."""
    console = console_of(request)
    user = session.user.username
    decision = str(form.get("decision") or "")
    group = console.unanswered.find(group_id)
    if group is None:
        raise Refused(404, "This group is no longer in the report.")
    if decision not in DECISIONS:
        raise Refused(400, "Choose what to do with the group.")
    if decision != ANSWERED:
        console.unanswered.mark(group, decision, user)
        console.audit.record(user, "unanswered.mark", f"group:{group.id}", decision)
        return RedirectResponse(f"/unanswered?done={decision}", status_code=303)
    fact_id = str(form.get("fact_id") or "")
    current = console.fact_versions.published_version(fact_id)
    if current is None:
        raise Refused(400, "Choose the fact that answers these questions.")
    body = {**current.body, "questions": _with_wordings(current.body.get("questions") or [], group)}
    try:
        version = console.fact_versions.save(body, user, note=f"adds {group.count} unanswered wordings")
    except FactsError as exc:
        console.audit.record(user, "unanswered.mark", f"group:{group.id}", f"refused: {len(exc.problems)} problems")
        problems = "; ".join(problem.removeprefix("this version: ") for problem in exc.problems)
        raise Refused(409, f"The fact would not load with these wordings: {problems}") from exc
    console.unanswered.mark(group, ANSWERED, user, fact_id, version.id)
    console.audit.record(user, "unanswered.mark", f"group:{group.id}", f"answered fact={fact_id}")
    console.audit.record(user, "fact.save", f"fact:{fact_id}", f"version={version.number}")
    return RedirectResponse(f"/facts/versions/{version.id}?done=saved", status_code=303)
