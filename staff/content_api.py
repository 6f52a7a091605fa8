"""The content API: unanswered questions in groups (paged like /api/escalations) and the published facts.

Same bearer tokens as the escalations API. `GET /api/unanswered` needs the scope
`unanswered:read` (the groups carry patients' wording); `GET /api/facts` needs
`facts:read`. Every call is audited with the token's name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Dict, List, Optional, Tuple

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from itsdangerous import BadSignature
from pydantic import BaseModel, Field

from meso.review.question_groups import QuestionGroup
from staff import cursor as cursors
from staff.api import API_PREFIX, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, NEXT_LINK, Caller, authenticate, requires
from staff.console import console_of

READ_UNANSWERED, READ_FACTS = "unanswered:read", "facts:read"

router = APIRouter(
    prefix=API_PREFIX,
    dependencies=[Depends(authenticate)],
    tags=["content"],
    responses={
        401: {"description": "Missing, wrong, expired or revoked bearer token"},
        403: {"description": "The token lacks a scope this route needs"},
    },
)


class GroupOut(BaseModel):
    """Questions the assistant declined, asked in the same or nearly the same words."""

    id: str
    wordings: List[str] = Field(..., description="up to five wordings as patients typed them (untrusted)")
    count: int
    first_seen: datetime
    last_seen: datetime
    channels: Dict[str, int]
    languages: Dict[str, int]
    decision: Optional[str] = Field(None, description="answered | out_of_scope | ignored, or null")
    fact_id: Optional[str]


class SourceOut(BaseModel):
    """A paragraph of a document, or information the clinic provided."""

    document: Optional[str]
    paragraph: Optional[int]
    title: str
    provided_by: Optional[str]
    provided_on: Optional[date]


class FactOut(BaseModel):
    """One published fact."""

    id: str
    topic: str
    web: str
    sms: str
    questions: List[str]
    source: SourceOut
    reviewed_by: str
    reviewed_on: date
    version: int = Field(..., description="the fact's version number")


def _group_out(group: QuestionGroup) -> Dict[str, Any]:
    return {
        "id": group.id, "wordings": group.examples, "count": group.count, "first_seen": group.first_seen,
        "last_seen": group.last_seen, "channels": group.channels, "languages": group.languages,
        "decision": group.decision, "fact_id": group.fact_id,
    }


def _order(group: QuestionGroup) -> Tuple[float, str]:
    return (-(group.last_seen.timestamp() if group.last_seen else 0.0), group.id)


@router.get(
    "/unanswered",
    response_model=List[GroupOut],
    summary="Unanswered questions in groups, newest first, one page at a time",
    responses={200: {"headers": NEXT_LINK}, 400: {"description": "The cursor was not issued by this console"}},
)
def list_unanswered(
    request: Request,
    response: Response,
    caller: Annotated[Caller, Depends(requires(READ_UNANSWERED))],
    decided: Annotated[bool, Query(description="true: groups already marked; false: groups to triage")] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[Optional[str], Query(min_length=1, max_length=cursors.MAX_CURSOR_LENGTH)] = None,
) -> List[Dict[str, Any]]:
    """Groups by last seen, newest first. A `Link: <...>; rel="next"` header points to the next page."""
    console = console_of(request)
    filters = {"decided": decided, "kind": "unanswered"}
    after: Optional[Tuple[float, str]] = None
    if cursor is None:
        max_id = console.unanswered.high_water()
    else:
        try:
            payload = console.cursor_signer.loads(cursor)
            if payload.get("t") != "unanswered" or payload.get("f") != cursors.filters_digest(filters):
                raise ValueError("other query")
            after, max_id = (float(payload["k"][0]), str(payload["k"][1])), int(payload["m"])
        except (BadSignature, AttributeError, KeyError, TypeError, ValueError) as exc:
            console.audit.record(caller.actor, "api.unanswered", detail="refused: cursor")
            raise HTTPException(status_code=400, detail="Invalid cursor.") from exc
    groups = [g for g in console.unanswered.groups(max_id=max_id, decided=decided) if after is None or _order(g) > after]
    page, more = groups[:limit], len(groups) > limit
    if more:
        token = console.cursor_signer.dumps(
            {"t": "unanswered", "k": list(_order(page[-1])), "m": max_id, "f": cursors.filters_digest(filters)}
        )
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=token)}>; rel="next"'
    console.audit.record(
        caller.actor, "api.unanswered", detail=f"decided={decided} limit={limit} returned={len(page)}"
    )
    return [_group_out(group) for group in page]


@router.get("/facts", response_model=List[FactOut], summary="The published facts")
def list_facts(request: Request, caller: Annotated[Caller, Depends(requires(READ_FACTS))]) -> List[Dict[str, Any]]:
    """Every published fact in book order, with its review and version number."""
    console = console_of(request)
    book = console.fact_versions.published().book
    numbers = console.fact_versions.published_numbers()
    console.audit.record(caller.actor, "api.facts", detail=f"returned={len(book.facts)}")
    return [
        {
            "id": fact.id, "topic": fact.topic, "web": fact.web, "sms": fact.sms, "questions": list(fact.questions),
            "source": {
                "document": None if fact.source.provided_by else fact.source.document,
                "paragraph": None if fact.source.provided_by else fact.source.paragraph,
                "title": fact.source.title, "provided_by": fact.source.provided_by,
                "provided_on": fact.source.provided_on,
            },
            "reviewed_by": fact.reviewed_by, "reviewed_on": fact.reviewed_on,
            "version": numbers.get(fact.id, (0, 0))[1],
        }
        for fact in book.facts
    ]
