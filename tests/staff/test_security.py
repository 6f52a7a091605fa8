"""Security of the console pages: access control, CSRF, headers, inert patient text, audit."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import List, Tuple

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from meso.accounts.api_tokens import SCOPES, ApiTokenStore
from meso.accounts.audit import AuditLog
from meso.accounts.users import StaffUserStore
from meso.cases.escalations import Contact, EscalationStore
from meso.settings import Settings
from meso.store.tables import audit_table
from staff.security import CSP
from staff.seed import tracker_rows, write_tracker_rows
from tests.staff.conftest import (
    API_TOKEN,
    BASE_URL,
    CONTROLS,
    FAST_HASHER,
    HOSTILE_MESSAGE,
    IMG,
    RLO,
    SCRIPT,
    FakeClock,
    add_case,
    csrf_token,
    enrol_in_page,
    login,
    login_token,
    make_app,
    make_settings,
    post_login,
    second_factor,
)

PUBLIC = {"/login", "/healthz"}


def page_routes(app: FastAPI) -> List[Tuple[str, str]]:
    """(method, path) of every HTML route that needs a session."""
    routes = []
    for route in app.routes:
        if isinstance(route, APIRoute) and not route.path.startswith("/api") and route.path not in PUBLIC:
            routes += [(method, route.path) for method in sorted(route.methods)]
    return routes


def api_routes(app: FastAPI) -> List[str]:
    return [
        route.path for route in app.routes if isinstance(route, APIRoute) and route.path.startswith("/api")
    ]


def test_the_route_table_is_what_this_file_covers(app: FastAPI) -> None:
    assert set(page_routes(app)) == {
        ("GET", "/"),
        ("GET", "/escalations/{case_id}"),
        ("POST", "/escalations/{case_id}/claim"),
        ("POST", "/escalations/{case_id}/note"),
        ("POST", "/escalations/{case_id}/resolve"),
        ("GET", "/audit"),
        ("POST", "/logout"),
        ("GET", "/mfa"),
        ("POST", "/mfa"),
        ("POST", "/mfa/recovery"),
        ("GET", "/mfa/enrol"),
        ("POST", "/mfa/enrol"),
        ("GET", "/facts"),
        ("GET", "/facts/new"),
        ("POST", "/facts/new"),
        ("GET", "/facts/{fact_id}"),
        ("POST", "/facts/{fact_id}"),
        ("GET", "/facts/versions/{version_id}"),
        ("POST", "/facts/versions/{version_id}/{action}"),
        ("GET", "/unanswered"),
        ("POST", "/unanswered/{group_id}"),
        ("GET", "/dashboard"),
        ("GET", "/dashboard/{name}.csv"),
    }
    assert set(api_routes(app)) == {
        "/api/escalations", "/api/escalations/{case_id}", "/api/openapi.json", "/api/unanswered", "/api/facts"
    }


def test_every_page_is_refused_without_a_session(
    app: FastAPI, client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    for method, path in page_routes(app):
        url = path.replace("{case_id}", str(case.id))
        response = client.request(
            method, url, data={"note": "x", "outcome": "No action needed"}, follow_redirects=False
        )
        if method == "GET":
            assert response.status_code == 303 and response.headers["location"] == "/login", url
        else:
            assert response.status_code == 403, url
        assert case.message not in response.text
    assert store.get(case.id).status == "open" and len(store.events(case.id)) == 1


def test_every_api_route_is_refused_without_the_token(
    app: FastAPI, client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    for path in api_routes(app):
        url = path.replace("{case_id}", str(case.id))
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token-wrong-token"},
            {"Authorization": API_TOKEN},
        ):
            response = client.get(url, headers=headers)
            assert response.status_code == 401, (url, headers)
            assert response.headers["www-authenticate"] == "Bearer"
            assert case.message not in response.text
    # A signed-in browser session is not an API credential either.
    login(client)
    assert client.get("/api/escalations").status_code == 401


def test_without_the_legacy_token_only_issued_tokens_open_the_api(
    tmp_path: Path, users: object, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, staff_api_token="")
    app = make_app(settings, clock)
    _, secret = ApiTokenStore(settings.escalation_url, clock=clock).create("reporting", SCOPES)
    with TestClient(app, base_url=BASE_URL) as client:
        for path in api_routes(app):
            url = path.replace("{case_id}", "1")
            for headers in (
                {},
                {"Authorization": "Bearer "},
                {"Authorization": "Bearer anything-at-all-here"},
                {"Authorization": f"Bearer {API_TOKEN}"},
            ):
                assert client.get(url, headers=headers).status_code == 401, (url, headers)
            assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code in (200, 404)


def test_short_api_tokens_are_refused_at_startup(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="STAFF_API_TOKEN"):
        make_app(make_settings(tmp_path, staff_api_token="short"), FakeClock())


def test_staff_cannot_read_the_audit_log_but_admins_can(client: TestClient, settings: Settings) -> None:
    login(client, "nurse")
    assert client.get("/audit").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "boss")
    page = client.get("/audit")
    assert page.status_code == 200
    assert "audit.denied" in page.text and "nurse" in page.text


@pytest.mark.parametrize("action", ["claim", "note", "resolve"])
def test_state_changes_need_the_sessions_csrf_token(
    app: FastAPI,
    client: TestClient,
    store: EscalationStore,
    settings: Settings,
    clock: FakeClock,
    action: str,
) -> None:
    case = add_case(store, settings, clock)
    form = {"note": "called the patient", "outcome": "No action needed"}
    # A token from another user's session is as good as a forged one.
    with TestClient(app, base_url=BASE_URL) as other:
        login(other, "boss")
        foreign = csrf_token(other)
    login(client)
    url = f"/escalations/{case.id}/{action}"
    for token in (None, "", "forged-token", foreign, csrf_token(client)[:-1]):
        data = form if token is None else {**form, "csrf_token": token}
        response = client.post(url, data=data, follow_redirects=False)
        assert response.status_code == 403, token
    assert store.get(case.id).status == "open" and len(store.events(case.id)) == 1
    good = client.post(url, data={**form, "csrf_token": csrf_token(client)}, follow_redirects=False)
    assert good.status_code == 303
    assert len(store.events(case.id)) == 2


def test_cross_site_posts_are_refused_even_with_a_token(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    login(client)
    token = csrf_token(client)
    response = client.post(
        f"/escalations/{case.id}/claim",
        data={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    cross_site = client.post(
        f"/escalations/{case.id}/claim", data={"csrf_token": token}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    assert store.get(case.id).status == "open"
    # Browsers send "Origin: null" under Referrer-Policy: no-referrer; the token decides.
    same_site = client.post(
        f"/escalations/{case.id}/claim",
        data={"csrf_token": token},
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert same_site.status_code == 303 and store.get(case.id).status == "claimed"


def test_unknown_host_headers_are_refused(client: TestClient) -> None:
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_security_headers_on_every_kind_of_response(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    anonymous = [client.get("/login"), client.get("/healthz"), client.get("/nowhere")]
    login(client)
    pages = [client.get("/"), client.get(f"/escalations/{case.id}"), client.get("/escalations/999")]
    api = [client.get("/api/escalations", headers={"Authorization": f"Bearer {API_TOKEN}"})]
    for response in anonymous + pages + api:
        headers = response.headers
        assert headers["content-security-policy"] == CSP
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"
    assert client.get("/static/staff.css").headers["content-type"].startswith("text/css")


def test_no_inline_script_or_style_in_any_page(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    html = [client.get("/login").text]
    login(client, "boss")
    html += [client.get(path).text for path in ("/", f"/escalations/{case.id}", "/audit", "/escalations/999")]
    for text in html:
        assert "<style" not in text and " style=" not in text
        assert not re.search(r"<script(?![^>]*\bsrc=)", text)
        assert not re.search(r"\son[a-z]+=", text)


def test_second_factor_pages_have_the_same_headers_and_no_inline_code(
    client: TestClient, settings: Settings
) -> None:
    StaffUserStore(settings.escalation_url, hasher=FAST_HASHER).create("carer", "a-long-enough-password")
    post_login(client, login_token(client), "carer", "a-long-enough-password")
    responses = [client.get("/mfa/enrol")]
    responses.append(enrol_in_page(client, "carer"))  # the recovery codes page
    client.cookies.clear()
    post_login(client, login_token(client))
    responses.append(client.get("/mfa"))
    responses.append(second_factor(client, code="000000x"))
    for response in responses:
        assert response.headers["content-security-policy"] == CSP
        assert response.headers["cache-control"] == "no-store"  # keys and recovery codes
        text = response.text
        assert "<style" not in text and " style=" not in text
        assert not re.search(r"<script", text)
        assert not re.search(r"\son[a-z]+=", text)
        assert not re.search(r'(src|href)="https?://', text), "no third-party resource"


def test_every_patient_page_refuses_a_password_only_session(
    app: FastAPI, client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    post_login(client, login_token(client), "boss")
    token = csrf_token(client, "/mfa")
    for method, path in page_routes(app):
        if path.startswith("/mfa") or path == "/logout":
            continue
        url = path.replace("{case_id}", str(case.id))
        response = client.request(
            method,
            url,
            data={"csrf_token": token, "note": "x", "outcome": "No action needed"},
            follow_redirects=False,
        )
        if method == "GET":
            assert response.status_code == 303 and response.headers["location"] == "/mfa", url
        else:
            assert response.status_code == 403, url
        assert case.message not in response.text
    assert store.get(case.id).status == "open" and len(store.events(case.id)) == 1


def test_second_factor_forms_need_the_csrf_token_and_the_same_site(client: TestClient) -> None:
    post_login(client, login_token(client))
    token = csrf_token(client, "/mfa")
    for path, field in (("/mfa", "code"), ("/mfa/recovery", "recovery_code"), ("/mfa/enrol", "code")):
        assert client.post(path, data={field: "123456"}, follow_redirects=False).status_code == 403
        cross = client.post(
            path,
            data={field: "123456", "csrf_token": token},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
            follow_redirects=False,
        )
        assert cross.status_code == 403
    # Sign-out works from the pending step too ("Cancel sign-in").
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert client.get("/mfa", follow_redirects=False).headers["location"] == "/login"


def _hostile_case(store: EscalationStore, settings: Settings, clock: FakeClock) -> int:
    # The escalation store cleans controls and bidi overrides on the way in; the tracker
    # store keeps Rasa's raw text, so the transcript gets every payload unchanged.
    contact = Contact(f"{SCRIPT}Eve", f"+1 818 555 0100{RLO}", f"{IMG} noon", True)
    case = add_case(store, settings, clock, message=HOSTILE_MESSAGE, contact=contact, transcript=False)
    rows = tracker_rows(
        case.conversation_id,
        "socketio",
        [("patient", HOSTILE_MESSAGE, "risk_disclosure"), ("assistant", f"echo {IMG}", "utter_x")],
        clock.now,
    )
    write_tracker_rows(settings.tracker_url, rows)
    return case.id


def _assert_inert(text: str) -> None:
    assert SCRIPT not in text and "<script" not in text
    assert IMG not in text and "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert RLO not in text
    for char in (c for c in CONTROLS if not c.isprintable()):
        assert char not in text


def test_patient_text_is_rendered_inert_in_queue_and_case(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case_id = _hostile_case(store, settings, clock)
    login(client)
    queue = client.get("/").text
    _assert_inert(queue)
    case_page = client.get(f"/escalations/{case_id}").text
    _assert_inert(case_page)
    assert 'class="turn turn-patient turn-trigger"' in case_page
    assert "gnp.exe[31m now" in case_page  # the override and escape characters are gone


def test_transcript_text_with_raw_bidi_and_controls_is_cleaned_at_display(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case_id = _hostile_case(store, settings, clock)
    with sqlite3.connect(settings.tracker_url.split("///", 1)[1]) as connection:
        raw = connection.execute("SELECT data FROM events WHERE type_name = 'user'").fetchone()[0]
    assert "\\u202e" in raw  # the stored transcript really carries the override
    login(client)
    _assert_inert(client.get(f"/escalations/{case_id}").text)


def test_every_view_and_change_is_audited_without_patient_text(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    login(client)
    client.get("/?urgency=urgent")
    token = csrf_token(client, f"/escalations/{case.id}")
    client.post(f"/escalations/{case.id}/claim", data={"csrf_token": token})
    client.post(
        f"/escalations/{case.id}/note", data={"csrf_token": token, "note": "Spoke to Ms Sample at 555 0100"}
    )
    client.post(
        f"/escalations/{case.id}/resolve",
        data={"csrf_token": token, "outcome": "Appointment booked", "comment": "Thursday with Dr P"},
    )
    client.post(f"/escalations/{case.id}/claim", data={"csrf_token": token})  # refused: resolved
    client.get("/api/escalations", headers={"Authorization": f"Bearer {API_TOKEN}"})
    client.get(f"/api/escalations/{case.id}", headers={"Authorization": f"Bearer {API_TOKEN}"})
    entries = list(reversed(AuditLog(settings.escalation_url).entries()))
    target = f"escalation:{case.id}"
    seen = [(e.actor, e.action, e.target) for e in entries]
    for expected in [
        ("nurse", "login", None),
        ("nurse", "queue.view", None),
        ("nurse", "case.view", target),
        ("nurse", "case.claim", target),
        ("nurse", "case.note", target),
        ("nurse", "case.resolve", target),
        ("api", "api.list", None),
        ("api", "api.view", target),
    ]:
        assert expected in seen
    refused = [e for e in entries if e.action == "case.claim" and e.detail and "refused" in e.detail]
    assert len(refused) == 1
    text = " ".join(f"{e.detail} {e.target}" for e in entries)
    assert "Sample" not in text and "555" not in text and "Thursday" not in text and "swollen" not in text
    assert store.get(case.id).status == "resolved"


def test_the_audit_log_cannot_be_edited_through_the_app(app: FastAPI, client: TestClient) -> None:
    for route in app.routes:
        if isinstance(route, APIRoute) and "audit" in route.path:
            assert route.methods == {"GET"}
        if isinstance(route, APIRoute):
            assert not route.methods & {"PUT", "PATCH", "DELETE"}
    login(client, "boss")
    token = csrf_token(client, "/audit")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert client.request(method, "/audit", data={"csrf_token": token}).status_code == 405
    assert not [name for name in dir(AuditLog) if name.startswith(("update", "delete", "remove", "clear"))]


def test_the_database_refuses_updates_and_deletes_of_the_audit_log(settings: Settings) -> None:
    audit = AuditLog(settings.escalation_url)
    entry = audit.record("nurse", "case.view", "escalation:1")
    for statement in (
        audit_table.update().where(audit_table.c.id == entry.id).values(actor="someone-else"),
        audit_table.delete().where(audit_table.c.id == entry.id),
        audit_table.delete(),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with audit.engine.begin() as connection:
                connection.execute(statement)
    # And through a plain sqlite3 connection, outside SQLAlchemy.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        with sqlite3.connect(settings.escalation_url.split("///", 1)[1]) as connection:
            connection.execute("UPDATE audit_log SET detail = 'rewritten'")
    assert [(e.actor, e.detail) for e in audit.entries()] == [("nurse", None)]


def test_postgres_audit_log_is_append_only(postgres: object) -> None:
    url = postgres.new_database()  # type: ignore[attr-defined]
    audit = AuditLog(url)
    entry = audit.record("nurse", "case.view", "escalation:1")
    for statement in (
        audit_table.update().where(audit_table.c.id == entry.id).values(actor="x"),
        audit_table.delete(),
        sa.text("TRUNCATE audit_log"),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with audit.engine.begin() as connection:
                connection.execute(statement)
    assert len(audit.entries()) == 1


def test_healthz_needs_no_login_and_shows_no_data(
    client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    add_case(store, settings, clock)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_healthz_is_503_when_the_escalation_database_is_unreachable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings = make_settings(tmp_path, escalation_db_url=f"sqlite:///{blocker / 'escalations.db'}")
    with TestClient(make_app(settings, FakeClock()), base_url=BASE_URL) as client:
        response = client.get("/healthz")
        assert response.status_code == 503 and response.json() == {"status": "unavailable"}
        login_page = client.get("/login")
        assert login_page.status_code == 200  # the form itself needs no database
