"""One real assistant in production mode, with small rate limits, and the real staff console.

REST needs the bearer token (production mode), SMS is Twilio-signed, the widget may
connect only from the Rasa server's own origin. Each test that counts towards a per-IP
limit connects from its own loopback address (127.0.0.x), so tests do not share counts.
"""

from __future__ import annotations

import itertools
from typing import Dict, Iterator

import httpx
import pytest
from argon2 import PasswordHasher

from devstack.stack import Stack, running_stack
from meso.accounts.users import StaffUserStore
from tests.support.staff_server import StaffServer, start_staff

REST_TOKEN = "hostile-rest-token-0123456789abcdef"
TWILIO_TOKEN = "hostile-twilio-auth-token"
SMS_URL = "https://assistant.clinic.example/webhooks/sms/webhook"
STAFF_API_TOKEN = "hostile-staff-api-token-0123456789abcdef"
STAFF_PASSWORD = "correct horse battery staple"
PER_SENDER, PER_IP, SMS_PER_IP = 3, 6, 6
STAFF_MAX_FAILURES, STAFF_MAX_FAILURES_PER_IP = 3, 5
_ADDRESSES = itertools.count(2)


def new_ip() -> str:
    """A loopback source address no other test of this session uses."""
    number = next(_ADDRESSES)
    return f"127.0.{number // 250}.{number % 250 + 2}"


def client(ip: str) -> httpx.Client:
    """An HTTP client connecting from `ip`."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=ip), timeout=60)


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(
        tmp_path_factory.mktemp("hostile_stack"),
        {
            "ASSISTANT_MODE": "production",
            "REST_API_TOKEN": REST_TOKEN,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "SMS_PUBLIC_URL": SMS_URL,
            "RATE_LIMIT_WINDOW_SECONDS": "120",
            "RATE_LIMIT_PER_SENDER": str(PER_SENDER),
            "RATE_LIMIT_PER_IP": str(PER_IP),
            "RATE_LIMIT_SMS_PER_IP": str(SMS_PER_IP),
        },
        widget_page_origin=True,
    ) as running:
        yield running


@pytest.fixture(scope="package")
def staff(stack: Stack) -> Iterator[StaffServer]:
    overrides: Dict[str, str] = {
        "STAFF_API_TOKEN": STAFF_API_TOKEN,
        "STAFF_LOGIN_MAX_FAILURES": str(STAFF_MAX_FAILURES),
        "STAFF_LOGIN_MAX_FAILURES_PER_IP": str(STAFF_MAX_FAILURES_PER_IP),
    }
    server = start_staff(stack.env, stack.data_dir / "staff.log", overrides)
    users = StaffUserStore(
        stack.env["ESCALATION_DB_URL"], hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    users.create("nurse", STAFF_PASSWORD, "staff")
    try:
        yield server
    finally:
        server.stop()
