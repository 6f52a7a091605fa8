"""Per-integration API tokens: created once by the CLI, stored hashed, scoped, expiring, revoked."""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import redirect_stdout
from typing import List

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from meso.accounts.api_tokens import ApiTokenStore
from meso.accounts.audit import AuditLog
from meso.cases.escalations import EscalationStore
from meso.settings import Settings
from meso.store.tables import tokens_table
from staff import manage
from tests.staff.conftest import API_TOKEN, FakeClock, add_case


def create_token(settings: Settings, name: str, *scopes: str, days: int = 90) -> str:
    """Runs `create-token`; returns the token it printed."""
    argv = ["create-token", name, *[part for scope in scopes for part in ("--scope", scope)], "--days", str(days)]
    out = io.StringIO()
    with redirect_stdout(out):
        assert manage.run(argv, settings=settings) == 0
    printed = re.findall(r"^meso_[A-Za-z0-9_-]{43}$", out.getvalue(), flags=re.M)
    assert len(printed) == 1, out.getvalue()
    return printed[0]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def audit_rows(settings: Settings) -> List[tuple]:
    return [(e.actor, e.action, e.target, e.detail) for e in reversed(AuditLog(settings.escalation_url).entries())]


def test_tokens_are_printed_once_and_stored_as_sha256_only(
    settings: Settings, capsys: pytest.CaptureFixture
) -> None:
    token = create_token(settings, "Reporting", "escalations:read")
    with ApiTokenStore(settings.escalation_url).engine.connect() as connection:
        row = connection.execute(sa.select(tokens_table)).one()
    assert row.name == "reporting" and row.scopes == "escalations:read"
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in " ".join(str(value) for value in row)
    assert manage.run(["list-tokens"], settings=settings) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("reporting\tescalations:read\tactive\texpires ") and "last used never" in listing
    assert token not in listing
    assert audit_rows(settings)[-1][:3] == ("cli", "token.create", "token:reporting")
    assert token not in str(audit_rows(settings))


def test_bad_token_commands_are_refused(settings: Settings) -> None:
    create_token(settings, "dashboard", "escalations:read")
    assert manage.run(["create-token", "dashboard", "--scope", "escalations:read"], settings=settings) == 2
    assert manage.run(["create-token", "x y", "--scope", "escalations:read"], settings=settings) == 2
    assert manage.run(["create-token", "long", "--scope", "escalations:read", "--days", "0"], settings=settings) == 2
    assert manage.run(["revoke-token", "nobody"], settings=settings) == 2
    for argv in (["create-token", "noscope"], ["create-token", "admin", "--scope", "escalations:write"]):
        with pytest.raises(SystemExit):
            manage.run(argv, settings=settings)


def test_scopes_decide_what_a_token_reads(
    client: TestClient, settings: Settings, store: EscalationStore, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    lister = create_token(settings, "dashboard", "escalations:read")
    reader = create_token(settings, "ehr-sync", "escalations:read", "transcripts:read")
    transcripts_only = create_token(settings, "odd-one", "transcripts:read")
    assert client.get("/api/escalations", headers=bearer(lister)).status_code == 200
    denied = client.get(f"/api/escalations/{case.id}", headers=bearer(lister))
    assert denied.status_code == 403 and case.message not in denied.text
    assert denied.headers["www-authenticate"] == (
        'Bearer error="insufficient_scope", scope="escalations:read transcripts:read"'
    )
    assert client.get("/api/escalations", headers=bearer(transcripts_only)).status_code == 403
    detail = client.get(f"/api/escalations/{case.id}", headers=bearer(reader))
    assert detail.status_code == 200 and detail.json()["transcript"]
    rows = audit_rows(settings)
    assert ("token:dashboard", "api.list", None, "limit=100 page=first returned=1") in rows
    assert ("token:dashboard", "api.denied", f"/api/escalations/{case.id}", "missing=transcripts:read") in rows
    assert ("token:ehr-sync", "api.view", f"escalation:{case.id}", None) in rows
    assert ("token:odd-one", "api.denied", "/api/escalations", "missing=escalations:read") in rows


def test_revoked_and_expired_tokens_are_refused_at_once(
    client: TestClient, settings: Settings, clock: FakeClock
) -> None:
    token = create_token(settings, "old-sync", "escalations:read")
    assert client.get("/api/escalations", headers=bearer(token)).status_code == 200
    assert manage.run(["revoke-token", "old-sync"], settings=settings) == 0
    refused = client.get("/api/escalations", headers=bearer(token))
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert ("cli", "token.revoke", "token:old-sync", None) in audit_rows(settings)

    _, short = ApiTokenStore(settings.escalation_url, clock=clock).create("short", ["escalations:read"], days=1)
    assert client.get("/api/escalations", headers=bearer(short)).status_code == 200
    clock.advance(days=1)
    assert client.get("/api/escalations", headers=bearer(short)).status_code == 401
    states = {t.name: t.state(clock()) for t in ApiTokenStore(settings.escalation_url).list()}
    assert states == {"old-sync": "revoked", "short": "expired"}
    used = {t.name: t.last_used_at for t in ApiTokenStore(settings.escalation_url).list()}
    assert used["short"] is not None


def test_the_deprecated_shared_token_works_only_while_set(client: TestClient, settings: Settings) -> None:
    assert client.get("/api/escalations", headers=bearer(API_TOKEN)).status_code == 200
    assert audit_rows(settings)[-1][:2] == ("api", "api.list")
    # A near miss of an issued token is not accepted either.
    token = create_token(settings, "sync", "escalations:read")
    assert client.get("/api/escalations", headers=bearer(token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 401
