"""The JSON API contract: fields, order, validation, 404s, audit, OpenAPI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict

import pytest
from fastapi.testclient import TestClient

from meso.accounts.audit import AuditLog
from meso.cases.escalations import Contact, EscalationStore
from meso.contract import REASONS, STATUSES, URGENCIES
from meso.settings import Settings
from tests.staff.conftest import API_TOKEN, FakeClock, add_case

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
REQUIRED = {
    "id",
    "conversation_id",
    "channel",
    "urgency",
    "reasons",
    "status",
    "created_at",
    "message",
    "contact",
    "updated_at",
}


@pytest.fixture()
def cases(store: EscalationStore, settings: Settings, clock: FakeClock) -> Dict[str, Any]:
    routine_old = add_case(
        store, settings, clock, "can I book for my chin", "routine", ("booking",), minutes_ago=300
    )
    urgent = add_case(
        store,
        settings,
        clock,
        "the spots are red and leaking",
        "urgent",
        ("complication",),
        "sms",
        Contact("Jordan Sample", "+1 818 555 0142", "afternoon", True),
        minutes_ago=5,
    )
    emergency = add_case(
        store, settings, clock, "I can't breathe", "emergency", ("emergency",), minutes_ago=1
    )
    routine_new = add_case(
        store, settings, clock, "am I too young at 16", "routine", ("minor",), minutes_ago=2
    )
    return {"routine_old": routine_old, "urgent": urgent, "emergency": emergency, "routine_new": routine_new}


def test_list_has_the_contract_fields_in_queue_order(client: TestClient, cases: Dict[str, Any]) -> None:
    response = client.get("/api/escalations", headers=AUTH)
    assert response.status_code == 200
    items = response.json()
    assert [item["id"] for item in items] == [
        cases[name].id for name in ("emergency", "urgent", "routine_old", "routine_new")
    ]
    for item in items:
        assert REQUIRED <= set(item)
        assert item["urgency"] in URGENCIES and item["status"] in STATUSES
        assert isinstance(item["reasons"], list) and set(item["reasons"]) <= REASONS
        for field in ("created_at", "updated_at"):
            assert datetime.fromisoformat(item[field]).utcoffset() is not None
    urgent = items[1]
    assert urgent["contact"] == {
        "name": "Jordan Sample",
        "phone": "+1 818 555 0142",
        "preferred_time": "afternoon",
        "consent": True,
    }
    assert items[0]["contact"] is None
    assert urgent["message"] == "the spots are red and leaking" and urgent["channel"] == "sms"


def test_filters_and_limit(client: TestClient, cases: Dict[str, Any], store: EscalationStore) -> None:
    store.resolve(cases["urgent"].id, "nurse", "Called back, question answered")
    get = lambda query: client.get(f"/api/escalations?{query}", headers=AUTH).json()  # noqa: E731
    assert [i["id"] for i in get("status=resolved")] == [cases["urgent"].id]
    assert {i["id"] for i in get("status=open")} == {
        cases[n].id for n in ("emergency", "routine_old", "routine_new")
    }
    assert [i["id"] for i in get("urgency=emergency")] == [cases["emergency"].id]
    assert [i["id"] for i in get("reason=minor")] == [cases["routine_new"].id]
    assert [i["id"] for i in get("channel=sms")] == [cases["urgent"].id]
    assert len(get("limit=1")) == 1 and len(get("limit=500")) == 4


@pytest.mark.parametrize(
    "query",
    [
        "status=closed",
        "urgency=high",
        "reason=headache",
        "limit=0",
        "limit=501",
        "limit=-3",
        "limit=ten",
        "channel=%3Cx%3E",
    ],
)
def test_bad_query_values_are_422(client: TestClient, cases: Dict[str, Any], query: str) -> None:
    response = client.get(f"/api/escalations?{query}", headers=AUTH)
    assert response.status_code == 422


def test_detail_adds_transcript_and_events(
    client: TestClient, cases: Dict[str, Any], store: EscalationStore
) -> None:
    case = cases["urgent"]
    store.claim(case.id, "nurse")
    store.add_note(case.id, "nurse", "left a voicemail")
    response = client.get(f"/api/escalations/{case.id}", headers=AUTH)
    assert response.status_code == 200
    body = response.json()
    assert REQUIRED <= set(body) and body["status"] == "claimed" and body["claimed_by"] == "nurse"
    assert [e["kind"] for e in body["events"]] == ["created", "claimed", "note"]
    assert body["events"][2]["detail"] == "left a voicemail"
    assert body["transcript_available"] is True
    assert [(t["who"], t["text"]) for t in body["transcript"]] == [
        ("patient", "hello, is mesotherapy painful?"),
        ("assistant", "Most people feel only small pricks."),
        ("patient", "the spots are red and leaking"),
    ]
    assert all(datetime.fromisoformat(t["at"]).utcoffset() is not None for t in body["transcript"])


def test_detail_of_a_conversation_missing_from_the_tracker_store(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock, transcript=False)
    body = client.get(f"/api/escalations/{case.id}", headers=AUTH).json()
    assert body["transcript"] == [] and body["transcript_available"] is True


def test_missing_case_is_404_and_bad_id_is_422(client: TestClient, cases: Dict[str, Any]) -> None:
    assert client.get("/api/escalations/9999", headers=AUTH).status_code == 404
    assert client.get("/api/escalations/0", headers=AUTH).status_code == 422
    assert client.get("/api/escalations/abc", headers=AUTH).status_code == 422


def test_api_reads_are_audited_as_api(client: TestClient, cases: Dict[str, Any], settings: Settings) -> None:
    client.get("/api/escalations?urgency=routine&limit=10", headers=AUTH)
    client.get(f"/api/escalations/{cases['emergency'].id}", headers=AUTH)
    client.get("/api/escalations/9999", headers=AUTH)
    entries = list(reversed(AuditLog(settings.escalation_url).entries()))
    assert [(e.actor, e.action, e.target, e.detail) for e in entries] == [
        ("api", "api.list", None, "urgency=routine limit=10 page=first returned=2"),
        ("api", "api.view", f"escalation:{cases['emergency'].id}", None),
        ("api", "api.view", "escalation:9999", "not found"),
    ]


def test_openapi_describes_only_the_api(client: TestClient) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    schema = client.get("/api/openapi.json", headers=AUTH).json()
    assert set(schema["paths"]) == {"/api/escalations", "/api/escalations/{case_id}", "/api/unanswered", "/api/facts"}
    item = schema["components"]["schemas"]["EscalationOut"]
    assert REQUIRED <= set(item["properties"])
    parameters = {p["name"]: p for p in schema["paths"]["/api/escalations"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["minimum"] == 1 and parameters["limit"]["schema"]["maximum"] == 500
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404
