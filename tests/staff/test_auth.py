"""Accounts, sign-in, throttling, sessions and the management command, on the real app."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from meso.accounts.audit import AuditLog
from meso.accounts.users import StaffUserStore
from meso.settings import Settings
from meso.store.tables import users_table
from staff import manage
from tests.staff.conftest import (
    BASE_URL,
    PASSWORDS,
    FakeClock,
    csrf_token,
    login,
    login_token,
    make_app,
    make_settings,
    post_login,
    second_factor,
    session_cookie,
)


def test_login_starts_a_session_with_a_hardened_cookie(client: TestClient) -> None:
    response = login(client)
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("staff_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.get("/").status_code == 200


def test_secure_cookie_uses_host_prefix_and_secure_flag(
    tmp_path: Path, users: StaffUserStore, clock: FakeClock
) -> None:
    app = make_app(make_settings(tmp_path, staff_cookie_secure=True), clock=clock)
    with TestClient(app, base_url="https://127.0.0.1") as client:
        login_cookie = client.get("/login").headers["set-cookie"]
        assert login_cookie.startswith("__Host-staff_login=") and "Secure" in login_cookie
        response = login(client)
        cookie = response.headers["set-cookie"]
        assert response.status_code == 303
        assert cookie.startswith("__Host-staff_session=") and "Secure" in cookie and "HttpOnly" in cookie


def test_passwords_are_stored_as_argon2id_with_the_rfc_9106_profile(settings: Settings) -> None:
    store = StaffUserStore(settings.escalation_url)  # the production hasher
    store.create("carer", "a-long-enough-password", "staff")
    with store.engine.connect() as connection:
        stored = connection.execute(sa.select(users_table.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "a-long-enough-password" not in stored
    assert store.authenticate("carer", "a-long-enough-password") is not None


@pytest.mark.parametrize("username,password", [("nurse", "wrong-password-1"), ("nobody", "whatever-pass-1")])
def test_wrong_credentials_get_one_generic_answer(client: TestClient, username: str, password: str) -> None:
    response = login(client, username, password)
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert "staff_session" not in response.headers.get("set-cookie", "")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_unknown_users_cost_a_password_hash_too(settings: Settings, users: StaffUserStore) -> None:
    class CountingHasher(PasswordHasher):
        calls = 0

        def verify(self, hash: str, password: str) -> bool:  # noqa: A002 - library signature
            CountingHasher.calls += 1
            return super().verify(hash, password)

    store = StaffUserStore(
        settings.escalation_url, hasher=CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    assert store.authenticate("no-such-user", "some-password-1") is None
    assert store.authenticate("nurse", "wrong-password-1") is None
    assert CountingHasher.calls == 2
    assert store.authenticate("NURSE ", PASSWORDS["nurse"]) is not None


def test_disabled_accounts_cannot_sign_in_and_lose_their_sessions(
    client: TestClient, users: StaffUserStore
) -> None:
    login(client)
    assert client.get("/").status_code == 200
    users.set_disabled("nurse", True)
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert login(client).status_code == 401


def test_five_failures_per_username_lock_it_for_the_window(client: TestClient, clock: FakeClock) -> None:
    for _ in range(5):
        assert login(client, "nurse", "wrong-password-1").status_code == 401
    blocked = login(client, "nurse")  # even the right password
    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.text
    # Another user from the same address is not locked by these five.
    assert login(client, "boss").status_code == 303
    clock.advance(minutes=16)
    client.cookies.clear()
    assert login(client, "nurse").status_code == 303


def test_failures_per_ip_lock_every_username(tmp_path: Path, users: StaffUserStore, clock: FakeClock) -> None:
    app = make_app(make_settings(tmp_path, staff_login_max_failures_per_ip=3), clock=clock)
    with TestClient(app, base_url=BASE_URL) as client:
        for name in ("alpha", "beta", "gamma"):
            assert login(client, name, "wrong-password-1").status_code == 401
        assert login(client, "nurse").status_code == 429


def test_throttle_survives_a_restart(tmp_path: Path, users: StaffUserStore, clock: FakeClock) -> None:
    settings = make_settings(tmp_path)
    with TestClient(make_app(settings, clock), base_url=BASE_URL) as client:
        for _ in range(5):
            login(client, "nurse", "wrong-password-1")
    with TestClient(make_app(settings, clock), base_url=BASE_URL) as client:
        assert login(client, "nurse").status_code == 429


def test_throttled_and_failed_logins_are_audited(client: TestClient, settings: Settings) -> None:
    for _ in range(6):
        login(client, "nurse", "wrong-password-1")
    actions = [entry.action for entry in AuditLog(settings.escalation_url).entries()]
    assert actions.count("login.failed") == 5 and actions.count("login.throttled") == 1


def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    data = {"username": "nurse", "password": PASSWORDS["nurse"]}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    forged = client.post("/login", data={**data, "login_csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text).group(1)
    client.cookies.clear()  # the token without its signed cookie
    assert (
        client.post("/login", data={**data, "login_csrf": token}, follow_redirects=False).status_code == 403
    )


def test_a_new_session_id_at_every_login(app: object) -> None:
    with TestClient(app, base_url=BASE_URL) as attacker, TestClient(app, base_url=BASE_URL) as victim:
        # A made-up id planted before sign-in is never adopted.
        token = login_token(victim)
        victim.cookies.set("staff_session", "attacker-chosen-value", domain="127.0.0.1", path="/")
        assert post_login(victim, token).status_code == 303
        assert session_cookie(victim) not in (None, "attacker-chosen-value")
        # Nor is a real session id planted from another account: sign-in replaces it and
        # ends it server-side.
        login(attacker, "boss")
        planted = session_cookie(attacker)
        victim.cookies.clear()
        token = login_token(victim)
        victim.cookies.set("staff_session", planted, domain="127.0.0.1", path="/")
        assert post_login(victim, token).status_code == 303
        pending = session_cookie(victim)
        assert pending and pending != planted
        # The second factor replaces the pending session id with yet another one.
        assert second_factor(victim).status_code == 303
        fresh = session_cookie(victim)
        assert fresh and fresh not in (planted, pending)
        assert "Signed in as <strong>nurse</strong>" in victim.get("/").text
        assert attacker.get("/", follow_redirects=False).status_code == 303


def test_idle_sessions_end_after_30_minutes(client: TestClient, clock: FakeClock) -> None:
    login(client)
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=29)  # idle time counts from the last request
    assert client.get("/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?m=expired"
    assert "Your session ended" in client.get("/login?m=expired").text


def test_sessions_end_after_their_maximum_age_however_busy(client: TestClient, clock: FakeClock) -> None:
    login(client)
    for _ in range(35):  # 11 h 40 min of activity every 20 minutes
        clock.advance(minutes=20)
        assert client.get("/healthz").status_code == 200
        assert client.get("/login", follow_redirects=False).status_code == 303  # still signed in
    clock.advance(minutes=21)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_invalidates_the_session_server_side(client: TestClient) -> None:
    login(client)
    stolen = session_cookie(client)
    token = csrf_token(client)
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?m=signed_out"
    client.cookies.set("staff_session", stolen, domain="127.0.0.1")  # replay the old cookie
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_needs_the_csrf_token(client: TestClient) -> None:
    login(client)
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert client.get("/").status_code == 200


def test_create_user_reads_the_password_from_stdin(settings: Settings) -> None:
    status = manage.run(
        ["create-user", "Front.Desk", "--role", "staff", "--password-stdin"],
        settings=settings,
        stdin=io.StringIO("a-long-enough-password\n"),
    )
    assert status == 0
    store = StaffUserStore(settings.escalation_url)
    user = store.authenticate("front.desk", "a-long-enough-password")
    assert user is not None and user.role == "staff"
    assert (
        manage.run(
            ["create-user", "short", "--password-stdin"], settings=settings, stdin=io.StringIO("too-short\n")
        )
        == 2
    )
    assert (
        manage.run(
            ["create-user", "front.desk", "--password-stdin"],
            settings=settings,
            stdin=io.StringIO("x" * 20 + "\n"),
        )
        == 2
    )
    entries = AuditLog(settings.escalation_url).entries()
    assert [(e.action, e.target) for e in entries] == [("user.create", "user:front.desk")]


def test_passwords_cannot_be_given_on_the_command_line(settings: Settings) -> None:
    with pytest.raises(SystemExit):
        manage.run(["create-user", "someone", "--password", "on-the-command-line"], settings=settings)


def test_set_password_signs_the_user_out(client: TestClient, settings: Settings) -> None:
    login(client)
    assert (
        manage.run(
            ["set-password", "nurse", "--password-stdin"],
            settings=settings,
            stdin=io.StringIO("brand-new-password\n"),
        )
        == 0
    )
    assert client.get("/", follow_redirects=False).status_code == 303
    assert login(client, "nurse", "brand-new-password").status_code == 303
