"""The JSON API (a contract other tools use): escalations, one case with its transcript.

Authentication: `Authorization: Bearer <token>`. Each integration gets its own token
(`python -m staff.manage create-token NAME --scope escalations:read`): stored hashed,
scoped, expiring, revocable, and every call is audited with the token's name (actor
`token:NAME`). Scopes: `escalations:read` lists cases and reads their history;
`transcripts:read` is needed as well for one case with its whole conversation. The
single `STAFF_API_TOKEN` still works while it is set (deprecated; all scopes, actor
`api`). A wrong, expired, revoked or missing token gets 401; a token without the scope
a route needs gets 403.

Paging: `GET /api/escalations` answers a JSON list in queue order (emergency, urgent,
routine; oldest first within an urgency; then by id). When more cases follow, the
`Link` header (RFC 8288) carries the next page's URL with `rel="next"`; follow it until
there is none. The walk contains every case that matched when its first page was read,
each exactly once, also while new cases arrive (those start the next walk; use
`updated_since` to pick up changes). Cursors are opaque and signed, and only valid with
the filters they were made for.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any, Callable, Dict, FrozenSet, List, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from meso.accounts.api_tokens import SCOPES
from meso.cases.escalations import CaseEvent, Escalation, queue_key
from meso.contract import REASONS, STATUSES, URGENCIES
from meso.store.transcripts import TranscriptUnavailable, Turn
from staff import cursor as cursors
from staff.console import console_of

logger = logging.getLogger(__name__)

API_PREFIX = "/api"
LEGACY_ACTOR = "api"
API_VERSION = "1.1"
# Case ids are 32-bit integers in PostgreSQL (and 64-bit in SQLite): larger ones are
# refused as invalid (422) instead of failing in the database.
MAX_CASE_ID = 2**31 - 1
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
READ_CASES, READ_TRANSCRIPTS = "escalations:read", "transcripts:read"
_legacy_warned = False


@dataclass(frozen=True)
class Caller:
    """Who is calling: the audit actor and the scopes granted."""

    actor: str
    scopes: FrozenSet[str]


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="A valid bearer token is required.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def authenticate(request: Request) -> Caller:
    """The caller of this request by its bearer token; 401 without a valid one."""
    console = console_of(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise _unauthorized()
    token = console.api_tokens.authenticate(given)
    if token is not None:
        return Caller(f"token:{token.name}", token.scopes)
    legacy = console.settings.staff_api_token
    if legacy and hmac.compare_digest(given.encode("utf-8", "surrogatepass"), legacy.encode("utf-8")):
        global _legacy_warned
        if not _legacy_warned:
            logger.warning("STAFF_API_TOKEN is deprecated: give each integration its own token (create-token)")
            _legacy_warned = True
        return Caller(LEGACY_ACTOR, frozenset(SCOPES))
    raise _unauthorized()


def requires(*scopes: str) -> Callable[[Request, Caller], Caller]:
    """A dependency: the caller, when its token has every one of `scopes` (403 otherwise)."""

    def check(request: Request, caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        missing = [scope for scope in scopes if scope not in caller.scopes]
        if missing:
            console_of(request).audit.record(
                caller.actor, "api.denied", target=request.url.path, detail=f"missing={' '.join(missing)}"
            )
            raise HTTPException(
                status_code=403,
                detail=f"This token lacks the scope {' '.join(missing)}.",
                headers={
                    "WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'
                },
            )
        return caller

    return check


router = APIRouter(
    prefix=API_PREFIX,
    dependencies=[Depends(authenticate)],
    tags=["escalations"],
    responses={
        401: {"description": "Missing, wrong, expired or revoked bearer token"},
        403: {"description": "The token lacks a scope this route needs"},
    },
)

Status = Enum("Status", {name: name for name in STATUSES}, type=str)  # type: ignore[misc]
Urgency = Enum("Urgency", {name: name for name in URGENCIES}, type=str)  # type: ignore[misc]
Reason = Enum("Reason", {name: name for name in sorted(REASONS)}, type=str)  # type: ignore[misc]


class ContactOut(BaseModel):
    """Call-back details the patient gave (the phone only with consent)."""

    name: Optional[str]
    phone: Optional[str]
    preferred_time: Optional[str]
    consent: Optional[bool]


class EscalationOut(BaseModel):
    """One case of the staff queue."""

    id: int
    conversation_id: str
    channel: str
    urgency: str = Field(..., description="emergency | urgent | routine (docs/CONTRACTS.md)")
    reasons: List[str] = Field(..., description="reason codes from docs/CONTRACTS.md")
    status: str = Field(..., description="open | claimed | resolved")
    created_at: datetime
    updated_at: datetime
    message: str = Field(..., description="the message that opened the case (cleaned, untrusted)")
    contact: Optional[ContactOut]
    claimed_by: Optional[str]
    resolved_outcome: Optional[str]
    language: Optional[str] = Field(None, description="the conversation's language: en | es (null: not known)")


class CaseEventOut(BaseModel):
    """One entry of the case history."""

    kind: str = Field(..., description="created | merged | contact | claimed | note | resolved")
    actor: Optional[str]
    detail: Optional[str]
    created_at: datetime


class TurnOut(BaseModel):
    """One message of the conversation."""

    who: str = Field(..., description="patient | assistant")
    text: str
    at: Optional[datetime]


class EscalationDetailOut(EscalationOut):
    """A case with its history and whole transcript."""

    events: List[CaseEventOut]
    transcript: List[TurnOut]
    transcript_available: bool = Field(..., description="false when the tracker store could not be read")


def escalation_out(case: Escalation) -> Dict[str, Any]:
    """The API representation of a case."""
    contact = case.contact
    return {
        "id": case.id,
        "conversation_id": case.conversation_id,
        "channel": case.channel,
        "urgency": case.urgency,
        "reasons": list(case.reasons),
        "status": case.status,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "message": case.message,
        "contact": None if contact is None else vars(contact).copy(),
        "claimed_by": case.claimed_by,
        "resolved_outcome": case.resolved_outcome,
        "language": case.language,
    }


def _event_out(event: CaseEvent) -> Dict[str, Any]:
    return {"kind": event.kind, "actor": event.actor, "detail": event.detail, "created_at": event.created_at}


def _turn_out(turn: Turn) -> Dict[str, Any]:
    return {"who": turn.who, "text": turn.text, "at": turn.at}


NEXT_LINK = {
    "Link": {
        "description": 'RFC 8288: `<URL of the next page>; rel="next"` while more cases follow',
        "schema": {"type": "string"},
    }
}


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    """A timestamp without an offset is read as UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


@router.get(
    "/escalations",
    response_model=List[EscalationOut],
    summary="List escalations in queue order, one page at a time",
    responses={
        200: {"headers": NEXT_LINK},
        400: {"description": "The cursor was not issued by this console, or for other filters"},
    },
)
def list_escalations(
    request: Request,
    response: Response,
    caller: Annotated[Caller, Depends(requires(READ_CASES))],
    status: Annotated[Optional[Status], Query(description="only cases with this status")] = None,
    urgency: Annotated[Optional[Urgency], Query(description="only cases with this urgency")] = None,
    reason: Annotated[Optional[Reason], Query(description="only cases with this reason code")] = None,
    channel: Annotated[
        Optional[str], Query(regex=r"^[a-z0-9_-]{1,32}$", description="only this channel")
    ] = None,
    conversation_id: Annotated[
        Optional[str], Query(min_length=1, max_length=255, description="only cases of this conversation")
    ] = None,
    updated_since: Annotated[
        Optional[datetime],
        Query(description="only cases changed at or after this time (ISO 8601; UTC when no offset)"),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_PAGE_SIZE,
            description=f"page size, 1 to {MAX_PAGE_SIZE}; further pages through the Link header",
        ),
    ] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[
        Optional[str],
        Query(
            min_length=1,
            max_length=cursors.MAX_CURSOR_LENGTH,
            description='opaque; take it from the Link rel="next" URL, never build it',
        ),
    ] = None,
) -> List[Dict[str, Any]]:
    """Cases, most urgent first, oldest first within an urgency, then by id.

    A `Link: <...>; rel="next"` header points to the next page while more cases follow.
    """
    console = console_of(request)
    since = _aware(updated_since)
    filters = {
        "status": status.value if status else None,
        "urgency": urgency.value if urgency else None,
        "reason": reason.value if reason else None,
        "channel": channel,
        "conversation_id": conversation_id,
        "updated_since": since.isoformat() if since else None,
    }
    if cursor is None:
        position = None
        max_id = console.escalations.high_water()
    else:
        try:
            start = cursors.decode(console.cursor_signer, cursor, filters)
        except cursors.InvalidCursor as exc:
            console.audit.record(caller.actor, "api.list", detail=f"refused: {exc}")
            raise HTTPException(status_code=400, detail=f"Invalid cursor: {exc}.") from exc
        position, max_id = start.after, start.max_id
    cases = console.escalations.list(
        status=filters["status"],
        urgency=filters["urgency"],
        reason=filters["reason"],
        channel=channel,
        conversation_id=conversation_id,
        updated_since=since,
        after=position,
        max_id=max_id,
        limit=limit + 1,
    )
    more = len(cases) > limit
    cases = cases[:limit]
    if more:
        token = cursors.encode(console.cursor_signer, cursors.Cursor(queue_key(cases[-1]), max_id), filters)
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=token)}>; rel="next"'
    shown = " ".join(f"{k}={v}" for k, v in filters.items() if v and k != "conversation_id")
    if conversation_id:
        shown += " conversation=given"  # ids can be phone-derived: not copied into the log
    console.audit.record(
        caller.actor,
        "api.list",
        detail=f"{shown} limit={limit} page={'next' if cursor else 'first'} returned={len(cases)}".strip(),
    )
    return [escalation_out(case) for case in cases]


@router.get(
    "/escalations/{case_id}",
    response_model=EscalationDetailOut,
    summary="One escalation with its history and transcript",
    responses={404: {"description": "No such case"}},
)
def get_escalation(
    request: Request,
    case_id: Annotated[int, Path(ge=1, le=MAX_CASE_ID)],
    caller: Annotated[Caller, Depends(requires(READ_CASES, READ_TRANSCRIPTS))],
) -> Dict[str, Any]:
    """The case, its events (oldest first) and the conversation transcript (oldest first).

    Needs the scopes escalations:read and transcripts:read.
    """
    console = console_of(request)
    case = console.escalations.get(case_id)
    if case is None:
        console.audit.record(caller.actor, "api.view", f"escalation:{case_id}", "not found")
        raise HTTPException(status_code=404, detail="No such escalation")
    events = console.escalations.events(case_id)
    available = True
    try:
        turns = console.transcripts.turns(case.conversation_id)
    except TranscriptUnavailable:
        turns, available = [], False
    console.audit.record(caller.actor, "api.view", f"escalation:{case_id}")
    return {
        **escalation_out(case),
        "events": [_event_out(event) for event in events],
        "transcript": [_turn_out(turn) for turn in turns],
        "transcript_available": available,
    }


def nullable_optionals(schema: Dict[str, Any]) -> Dict[str, Any]:
    """Marks every optional property of the component schemas as nullable.

    Pydantic 1 describes `Optional[X]` as plain X, but the API sends null for a missing
    value: without this the description would not match the answers (OpenAPI 3.1, so
    JSON Schema's `anyOf [..., {"type": "null"}]`).
    """
    for component in schema.get("components", {}).get("schemas", {}).values():
        required = set(component.get("required", ()))
        for name, prop in component.get("properties", {}).items():
            if name not in required and "anyOf" not in prop:
                keep = {key: prop.pop(key) for key in ("title", "description", "default") if key in prop}
                component["properties"][name] = {"anyOf": [prop, {"type": "null"}], **keep}
    return schema


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    """The OpenAPI description of the /api routes only."""
    app = request.app
    schema = getattr(app.state, "api_schema", None)
    if schema is None:
        routes = [route for route in app.routes if getattr(route, "path", "").startswith(API_PREFIX + "/")]
        schema = get_openapi(
            title="Staff console API",
            version=API_VERSION,
            description=(__doc__ or "").strip(),
            routes=routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"}
        }
        schema["security"] = [{"bearer": []}]
        schema = nullable_optionals(schema)
        app.state.api_schema = schema
    return JSONResponse(schema)
