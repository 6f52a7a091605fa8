"""The staff console, served by uvicorn on loopback: body caps and sign-in throttling."""

from __future__ import annotations

import re
from typing import Iterator

import httpx
from argon2 import PasswordHasher

from devstack.stack import Stack
from meso.accounts.users import StaffUserStore
from tests.hostile.conftest import (
    STAFF_API_TOKEN,
    STAFF_MAX_FAILURES,
    STAFF_MAX_FAILURES_PER_IP,
    STAFF_PASSWORD,
    client,
    new_ip,
)
from tests.support.staff_server import StaffServer


def sign_in(http: httpx.Client, staff: StaffServer, username: str, password: str) -> httpx.Response:
    page = http.get(f"{staff.url}/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token, page.text
    form = {"username": username, "password": password, "login_csrf": token.group(1)}
    return http.post(f"{staff.url}/login", data=form, follow_redirects=False)


def test_request_bodies_over_the_cap_get_413(staff: StaffServer) -> None:
    url = f"{staff.url}/login"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert httpx.post(url, content=b"a=" + b"x" * 100_000, headers=form).status_code == 413

    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"x" * 1024

    assert httpx.post(url, content=chunks(), headers=form).status_code == 413, "chunked, no Content-Length"
    assert httpx.post(f"{staff.url}/api/escalations", content=b"x" * 100_000).status_code == 413
    assert httpx.get(f"{staff.url}/healthz").status_code == 200


def test_sign_in_is_throttled_per_username_even_with_the_right_password(stack: Stack, staff: StaffServer) -> None:
    users = StaffUserStore(stack.env["ESCALATION_DB_URL"], hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    users.create("doctor", STAFF_PASSWORD, "staff")
    with client(new_ip()) as http:
        for _ in range(STAFF_MAX_FAILURES):
            assert sign_in(http, staff, "doctor", "wrong password").status_code == 401
        blocked = sign_in(http, staff, "doctor", STAFF_PASSWORD)
        assert blocked.status_code == 429 and "Too many failed sign-in attempts" in blocked.text
    with client(new_ip()) as elsewhere:
        assert sign_in(elsewhere, staff, "doctor", STAFF_PASSWORD).status_code == 429, "per username, any address"
        assert sign_in(elsewhere, staff, "nurse", STAFF_PASSWORD).status_code == 303


def test_sign_in_is_throttled_per_address(staff: StaffServer) -> None:
    with client(new_ip()) as http:
        for number in range(STAFF_MAX_FAILURES_PER_IP):
            assert sign_in(http, staff, f"guess{number}", "password").status_code == 401
        assert sign_in(http, staff, "nurse", STAFF_PASSWORD).status_code == 429
    with client(new_ip()) as elsewhere:
        assert sign_in(elsewhere, staff, "nurse", STAFF_PASSWORD).status_code == 303


def test_case_ids_beyond_the_database_integer_are_invalid_not_errors(staff: StaffServer) -> None:
    """Found by the schema-driven fuzzer: 2**63 reached SQLite and failed with 500."""
    auth = {"Authorization": f"Bearer {STAFF_API_TOKEN}"}
    for case_id in (2**31, 2**63, 10**30):
        assert httpx.get(f"{staff.url}/api/escalations/{case_id}", headers=auth).status_code == 422
    assert httpx.get(f"{staff.url}/api/escalations/{2**31 - 1}", headers=auth).status_code == 404
