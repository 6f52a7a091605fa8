"""The JSON API (a contract other tools use): escalations, one case with its transcript.

Authentication: `Authorization: Bearer <STAFF_API_TOKEN>`, compared in constant time.
With no token configured the API is off: every /api route answers 404, as if it did not
exist. A wrong or missing token gets 401. Every read is audited with actor "api".
"""

from __future__ import annotations

import hmac
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Dict, List, Optional

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from meso.escalations import REASONS, STATUSES, URGENCIES, CaseEvent, Escalation
from meso.transcripts import TranscriptUnavailable, Turn
from staff.console import console_of

API_PREFIX = "/api"
API_ACTOR = "api"
API_VERSION = "1.0"
# Case ids are 32-bit integers in PostgreSQL (and 64-bit in SQLite): larger ones are
# refused as invalid (422) instead of failing in the database.
MAX_CASE_ID = 2**31 - 1


def require_token(request: Request) -> None:
    """Lets the request through only with the configured bearer token."""
    expected = console_of(request).settings.staff_api_token
    if not expected:
        raise HTTPException(status_code=404, detail="Not Found")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="A valid bearer token is required.",
            headers={"WWW-Authenticate": "Bearer"},
        )


router = APIRouter(
    prefix=API_PREFIX,
    dependencies=[Depends(require_token)],
    tags=["escalations"],
    responses={401: {"description": "Missing or wrong bearer token"}},
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
    }


def _event_out(event: CaseEvent) -> Dict[str, Any]:
    return {"kind": event.kind, "actor": event.actor, "detail": event.detail, "created_at": event.created_at}


def _turn_out(turn: Turn) -> Dict[str, Any]:
    return {"who": turn.who, "text": turn.text, "at": turn.at}


@router.get("/escalations", response_model=List[EscalationOut], summary="List escalations in queue order")
def list_escalations(
    request: Request,
    status: Annotated[Optional[Status], Query(description="only cases with this status")] = None,
    urgency: Annotated[Optional[Urgency], Query(description="only cases with this urgency")] = None,
    reason: Annotated[Optional[Reason], Query(description="only cases with this reason code")] = None,
    channel: Annotated[
        Optional[str], Query(regex=r"^[a-z0-9_-]{1,32}$", description="only this channel")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many cases")] = 100,
) -> List[Dict[str, Any]]:
    """Cases, most urgent first and oldest first within an urgency."""
    console = console_of(request)
    cases = console.escalations.list(
        status=status.value if status else None,
        urgency=urgency.value if urgency else None,
        reason=reason.value if reason else None,
        channel=channel,
        limit=limit,
    )
    filters = {"status": status, "urgency": urgency, "reason": reason, "channel": channel}
    detail = " ".join(f"{k}={getattr(v, 'value', v)}" for k, v in filters.items() if v)
    console.audit.record(
        API_ACTOR, "api.list", detail=f"{detail} limit={limit} returned={len(cases)}".strip()
    )
    return [escalation_out(case) for case in cases]


@router.get(
    "/escalations/{case_id}",
    response_model=EscalationDetailOut,
    summary="One escalation with its history and transcript",
    responses={404: {"description": "No such case"}},
)
def get_escalation(request: Request, case_id: Annotated[int, Path(ge=1, le=MAX_CASE_ID)]) -> Dict[str, Any]:
    """The case, its events (oldest first) and the conversation transcript (oldest first)."""
    console = console_of(request)
    case = console.escalations.get(case_id)
    if case is None:
        console.audit.record(API_ACTOR, "api.view", f"escalation:{case_id}", "not found")
        raise HTTPException(status_code=404, detail="No such escalation")
    events = console.escalations.events(case_id)
    available = True
    try:
        turns = console.transcripts.turns(case.conversation_id)
    except TranscriptUnavailable:
        turns, available = [], False
    console.audit.record(API_ACTOR, "api.view", f"escalation:{case_id}")
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
