"""Fixtures for the staff console tests: real app, real SQLite stores in tmp_path."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pyotp
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from meso.accounts.mfa import SecondFactorStore
from meso.accounts.users import StaffUserStore
from meso.cases import escalations
from meso.cases.escalations import Contact, Escalation, EscalationStore
from meso.settings import Settings
from meso.store import transcripts
from meso.store.db import migrate
from staff.app import create_app
from staff.seed import tracker_rows, write_tracker_rows

API_TOKEN = "test-api-token-0123456789abcdef"
PASSWORDS = {"nurse": "nurse-password-123", "boss": "admin-password-456"}
BASE_URL = "http://127.0.0.1"

# Real argon2id with small parameters, so each test does not spend ~0.4 s per hash; the
# production parameters are checked in test_auth.py.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# Patient text that must stay inert wherever it is shown.
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
RLO = "\u202e"
CONTROLS = "\x1b[31m\x07\x00"
HOSTILE_MESSAGE = f"help {SCRIPT} {IMG} pay {RLO}gnp.exe{CONTROLS} now"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: Optional[datetime] = None) -> None:
        self.now = start or datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


_TEMPLATE: Dict[str, Path] = {}
# What each test user's authenticator app and desk drawer hold, by (database URL, username).
TOTP_SECRETS: Dict[Tuple[str, str], str] = {}
RECOVERY_CODES: Dict[Tuple[str, str], List[str]] = {}


@pytest.fixture(scope="session", autouse=True)
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One escalation database migrated by the real Alembic chain, copied into each test."""
    path = tmp_path_factory.mktemp("template") / "escalations.db"
    migrate(f"sqlite:///{path}")
    _TEMPLATE["escalations"] = path


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings pointing every store at SQLite files in `tmp_path` (schema already at head)."""
    database = tmp_path / "escalations.db"
    if "escalations" in _TEMPLATE and not database.exists():
        shutil.copyfile(_TEMPLATE["escalations"], database)
    values: Dict[str, Any] = dict(
        data_dir=tmp_path,
        escalation_db_url=f"sqlite:///{tmp_path / 'escalations.db'}",
        tracker_db_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        staff_api_token=API_TOKEN,
        staff_session_secret="test-session-secret-" + "x" * 20,
        staff_cookie_secure=False,
        staff_allowed_hosts=("127.0.0.1", "localhost"),
        staff_session_idle_minutes=30,
        staff_session_max_hours=12,
        staff_login_window_minutes=15,
        staff_login_max_failures=5,
        staff_login_max_failures_per_ip=20,
        alert_webhook_url="",
        smtp_host="",
    )
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    escalations.dispose_engines()
    transcripts.dispose_engines()


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def enrol(settings: Settings, clock: FakeClock, user_id: int, username: str) -> None:
    """Enrols a second factor through the store, as the enrolment page does (tested there)."""
    second_factor = SecondFactorStore(settings.escalation_url, clock=clock, hasher=FAST_HASHER)
    secret = second_factor.begin_enrolment(user_id).secret
    codes = second_factor.confirm_enrolment(user_id, secret, pyotp.TOTP(secret).at(clock()))
    assert codes is not None
    TOTP_SECRETS[(settings.escalation_url, username)] = secret
    RECOVERY_CODES[(settings.escalation_url, username)] = codes


@pytest.fixture()
def users(settings: Settings, clock: FakeClock) -> StaffUserStore:
    """nurse (staff) and boss (admin), both with a second factor already enrolled."""
    store = StaffUserStore(settings.escalation_url, hasher=FAST_HASHER)
    for name, role in (("nurse", "staff"), ("boss", "admin")):
        user = store.create(name, PASSWORDS[name], role)
        enrol(settings, clock, user.id, name)
    return store


@pytest.fixture()
def store(settings: Settings, clock: FakeClock) -> EscalationStore:
    return EscalationStore(settings.escalation_url, alert_channels=(), clock=clock)


def make_app(settings: Settings, clock: FakeClock) -> FastAPI:
    """The real console app with the test clock and the fast argon2id hasher."""
    return create_app(settings, clock=clock, password_hasher=FAST_HASHER)


@pytest.fixture()
def app(settings: Settings, clock: FakeClock, users: StaffUserStore) -> FastAPI:
    return make_app(settings, clock)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def add_case(
    store: EscalationStore,
    settings: Settings,
    clock: FakeClock,
    message: str = "my cheek is swollen and hot after the injections",
    urgency: str = "urgent",
    reasons: tuple = ("complication",),
    channel: str = "socketio",
    contact: Optional[Contact] = None,
    conversation_id: Optional[str] = None,
    minutes_ago: int = 10,
    transcript: bool = True,
) -> Escalation:
    """Records a case through the real store, with its conversation in the tracker store."""
    conversation_id = conversation_id or f"conv-{urgency}-{minutes_ago}-{len(message)}"
    start = clock() - timedelta(minutes=minutes_ago, seconds=40)
    if transcript:
        exchanges = [
            ("patient", "hello, is mesotherapy painful?", "ask_pain"),
            ("assistant", "Most people feel only small pricks.", "utter_answer"),
            ("patient", message, "risk_disclosure"),
        ]
        write_tracker_rows(settings.tracker_url, tracker_rows(conversation_id, channel, exchanges, start))
    return store.record(
        conversation_id,
        channel,
        urgency,
        reasons,
        message,
        contact,
        at=clock() - timedelta(minutes=minutes_ago),
    )


def login_token(client: TestClient) -> str:
    """Opens the sign-in page; returns its form token (its signed cookie is now in the jar)."""
    page = client.get("/login")
    token = re.search(r'name="login_csrf" value="([^"]+)"', page.text)
    assert token, page.text
    return token.group(1)


def post_login(
    client: TestClient, token: str, username: str = "nurse", password: Optional[str] = None
) -> Any:
    """Posts the sign-in form with `token`."""
    return client.post(
        "/login",
        data={"username": username, "password": password or PASSWORDS[username], "login_csrf": token},
        follow_redirects=False,
    )


def totp_code(client: TestClient, username: str, fresh: bool = True) -> str:
    """The code `username`'s authenticator app shows at the console's time.

    With `fresh`, the console's fake clock first moves to the next 30-second step, as a
    person signing in again would wait for a new code (a used code is refused).
    """
    console = client.app.state.console  # type: ignore[attr-defined]
    if fresh and isinstance(console.clock, FakeClock):
        console.clock.advance(seconds=30)
    return pyotp.TOTP(TOTP_SECRETS[(console.settings.escalation_url, username)]).at(console.clock())


def second_factor(client: TestClient, username: str = "nurse", code: Optional[str] = None) -> Any:
    """Posts a TOTP code on the /mfa page (after the password); returns the POST response."""
    token = csrf_token(client, "/mfa")
    return client.post(
        "/mfa",
        data={"code": code or totp_code(client, username), "csrf_token": token},
        follow_redirects=False,
    )


def enrol_in_page(client: TestClient, username: str) -> Any:
    """Enrols through /mfa/enrol (the key as the page spells it out); returns the confirm response."""
    console = client.app.state.console  # type: ignore[attr-defined]
    page = client.get("/mfa/enrol")
    key = re.search(r'id="secret">([A-Z2-7 ]+)<', page.text)
    assert key, page.text
    secret = key.group(1).replace(" ", "")
    TOTP_SECRETS[(console.settings.escalation_url, username)] = secret
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    response = client.post(
        "/mfa/enrol",
        data={"code": totp_code(client, username, fresh=False), "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", response.text)
    if codes:
        RECOVERY_CODES[(console.settings.escalation_url, username)] = codes
    return response


def login(client: TestClient, username: str = "nurse", password: Optional[str] = None) -> Any:
    """Signs in through the real forms: password (with its CSRF token), then a TOTP code,
    or the enrolment for an account without one. Returns the last POST response."""
    response = post_login(client, login_token(client), username, password)
    if response.status_code != 303:
        return response
    if response.headers["location"] == "/mfa/enrol":
        return enrol_in_page(client, username)
    return second_factor(client, username)


def csrf_token(client: TestClient, path: str = "/") -> str:
    """The session's CSRF token as the page at `path` embeds it."""
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    return token.group(1)


def session_cookie(client: TestClient) -> Optional[str]:
    """The console's session cookie value in the client's jar."""
    return client.cookies.get("staff_session")
