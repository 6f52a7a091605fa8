"""The second factor: enrolment, codes, replays (also racing), recovery codes, throttling, reset.

Real app, real SQLite (and PostgreSQL for the races); codes computed by pyotp as an
authenticator app would, at the console's clock.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import fields
from pathlib import Path
from typing import Callable, List, Tuple

import pyotp
import pytest
import segno
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from meso.accounts.audit import AuditLog
from meso.accounts.mfa import CodeCheck, SecondFactorStore
from meso.accounts.users import StaffUserStore
from meso.cases.escalations import EscalationStore
from meso.settings import Settings
from meso.store.tables import recovery_table, totp_table
from staff import manage
from staff.mfa import ISSUER
from staff.qr import qr_data_uri
from tests.staff.conftest import (
    API_TOKEN,
    FAST_HASHER,
    PASSWORDS,
    RECOVERY_CODES,
    TOTP_SECRETS,
    FakeClock,
    add_case,
    csrf_token,
    enrol_in_page,
    login,
    login_token,
    post_login,
    second_factor,
    totp_code,
)


def actions(settings: Settings) -> List[str]:
    return [entry.action for entry in reversed(AuditLog(settings.escalation_url).entries(limit=1000))]


def mfa_store(url: str, clock: FakeClock) -> SecondFactorStore:
    return SecondFactorStore(url, clock=clock, hasher=FAST_HASHER)


def enrolled(url: str, clock: FakeClock, username: str = "carer") -> Tuple[SecondFactorStore, int, str, List[str]]:
    """A fresh account with a confirmed key: (store, user id, secret, recovery codes)."""
    user = StaffUserStore(url, hasher=FAST_HASHER).create(username, "a-long-enough-password", "staff")
    store = mfa_store(url, clock)
    secret = store.begin_enrolment(user.id).secret
    codes = store.confirm_enrolment(user.id, secret, pyotp.TOTP(secret).at(clock()))
    assert codes is not None
    return store, user.id, secret, codes


# -- the store ---------------------------------------------------------------------------


def test_a_code_is_accepted_once_and_older_steps_never(settings: Settings, clock: FakeClock) -> None:
    store, user_id, secret, _ = enrolled(settings.escalation_url, clock)
    totp = pyotp.TOTP(secret)
    enrol_code = totp.at(clock())
    assert store.verify(user_id, enrol_code) is CodeCheck.REPLAYED  # enrolment used this step
    clock.advance(seconds=30)
    now_code = totp.at(clock())
    assert store.verify(user_id, now_code) is CodeCheck.ACCEPTED
    assert store.verify(user_id, now_code) is CodeCheck.REPLAYED
    # The previous step is still inside the window, but older than the one used: refused.
    assert store.verify(user_id, totp.at(clock(), counter_offset=-1)) is CodeCheck.REPLAYED
    # The next step (clock drift) is accepted once; the current one after it is then a replay.
    clock.advance(seconds=30)
    assert store.verify(user_id, totp.at(clock(), counter_offset=1)) is CodeCheck.ACCEPTED
    assert store.verify(user_id, totp.at(clock())) is CodeCheck.REPLAYED
    # Outside the window, or malformed: wrong.
    clock.advance(minutes=5)
    assert store.verify(user_id, totp.at(clock(), counter_offset=-3)) is CodeCheck.WRONG
    for junk in ("", "12345", "1234567", "abcdef", "١٢٣٤٥٦"):
        assert store.verify(user_id, junk) is CodeCheck.WRONG
    assert store.verify(user_id, " " + totp.at(clock())[:3] + " " + totp.at(clock())[3:]) is CodeCheck.ACCEPTED


def _race(count: int, attempt: Callable[[], object]) -> List[object]:
    barrier = threading.Barrier(count)
    results: List[object] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        outcome = attempt()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _race_on(url: str, clock: FakeClock) -> None:
    store, user_id, secret, codes = enrolled(url, clock)
    for _ in range(5):  # five rounds, each a new step raced by eight requests
        clock.advance(seconds=30)
        code = pyotp.TOTP(secret).at(clock())
        results = _race(8, lambda code=code: store.verify(user_id, code))  # type: ignore[misc]
        assert sorted(results) == sorted([CodeCheck.ACCEPTED] + [CodeCheck.REPLAYED] * 7), results
    spent = _race(6, lambda: store.use_recovery_code(user_id, codes[0]))
    assert spent.count(9) == 1 and spent.count(None) == 5, spent
    assert store.recovery_codes_left(user_id) == 9


def test_racing_requests_with_one_code_get_one_acceptance_on_sqlite(settings: Settings, clock: FakeClock) -> None:
    _race_on(settings.escalation_url, clock)


def test_racing_requests_with_one_code_get_one_acceptance_on_postgres(postgres: object) -> None:
    url = postgres.new_database()  # type: ignore[attr-defined]
    EscalationStore(url, alert_channels=()).ping()  # migrated by the real Alembic chain
    _race_on(url, FakeClock())


def test_recovery_codes_are_hashed_and_each_works_once(settings: Settings, clock: FakeClock) -> None:
    store, user_id, _, codes = enrolled(settings.escalation_url, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    with store.engine.connect() as connection:
        hashes = connection.execute(sa.select(recovery_table.c.code_hash)).scalars().all()
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(code.replace("-", "") in h for code in codes for h in hashes)
    assert store.use_recovery_code(user_id, codes[2].upper().replace("-", " ")) == 9
    assert store.use_recovery_code(user_id, codes[2]) is None
    assert store.use_recovery_code(user_id, "aaaaa-aaaaa") is None
    assert store.use_recovery_code(user_id, codes[5]) == 8


def test_the_pending_key_is_stable_until_confirmed_and_reset_starts_over(
    settings: Settings, clock: FakeClock
) -> None:
    store, user_id, secret, codes = enrolled(settings.escalation_url, clock)
    assert store.is_enrolled(user_id)
    assert store.reset(user_id) is True
    assert not store.is_enrolled(user_id)
    assert store.use_recovery_code(user_id, codes[0]) is None  # the old codes went with the key
    first = store.begin_enrolment(user_id).secret
    assert first != secret and store.begin_enrolment(user_id).secret == first
    right = pyotp.TOTP(first).at(clock())
    assert store.confirm_enrolment(user_id, first, f"{(int(right) + 1) % 1_000_000:06d}") is None
    assert store.confirm_enrolment(user_id, secret, pyotp.TOTP(secret).at(clock())) is None  # not the pending key
    assert store.confirm_enrolment(user_id, first, pyotp.TOTP(first).at(clock())) is not None
    with store.engine.connect() as connection:
        row = connection.execute(sa.select(totp_table)).one()
    assert row.confirmed_at is not None and row.last_step == pyotp.TOTP(first).timecode(clock())


def test_no_setting_can_switch_the_second_factor_off() -> None:
    names = [field.name for field in fields(Settings)]
    assert not [name for name in names if re.search(r"mfa|totp|factor|otp", name)], names


# -- the web flow ------------------------------------------------------------------------


def test_a_password_alone_reaches_no_patient_data(
    app: FastAPI, client: TestClient, store: EscalationStore, settings: Settings, clock: FakeClock
) -> None:
    case = add_case(store, settings, clock)
    response = post_login(client, login_token(client))
    assert response.status_code == 303 and response.headers["location"] == "/mfa"
    paths = ["/", f"/escalations/{case.id}", "/audit"]
    for path in paths:
        reply = client.get(path, follow_redirects=False)
        assert reply.status_code == 303 and reply.headers["location"] == "/mfa", path
    token = csrf_token(client, "/mfa")
    for action in ("claim", "note", "resolve"):
        reply = client.post(
            f"/escalations/{case.id}/{action}",
            data={"csrf_token": token, "note": "x", "outcome": "No action needed"},
            follow_redirects=False,
        )
        assert reply.status_code == 403 and case.message not in reply.text
    assert client.get("/api/escalations").status_code == 401
    assert store.get(case.id).status == "open" and len(store.events(case.id)) == 1
    assert "case.view" not in actions(settings) and "queue.view" not in actions(settings)
    # /login sends a pending session on to its second step.
    assert client.get("/login", follow_redirects=False).headers["location"] == "/mfa"
    assert second_factor(client).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_pending_sessions_end_after_ten_minutes(client: TestClient, clock: FakeClock) -> None:
    post_login(client, login_token(client))
    clock.advance(minutes=10, seconds=1)
    reply = client.get("/mfa", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/login?m=expired"


def test_enrolment_page_shows_a_local_qr_code_of_the_key(client: TestClient, settings: Settings) -> None:
    StaffUserStore(settings.escalation_url, hasher=FAST_HASHER).create("carer", "a-long-enough-password")
    post = post_login(client, login_token(client), "carer", "a-long-enough-password")
    assert post.headers["location"] == "/mfa/enrol"
    page = client.get("/mfa/enrol")
    key = re.search(r'id="secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    assert re.search(r'id="secret">([^<]+)<', client.get("/mfa/enrol").text).group(1).replace(" ", "") == key
    uri = pyotp.TOTP(key).provisioning_uri(name="carer", issuer_name=ISSUER)
    assert uri.startswith("otpauth://totp/") and f"secret={key}" in uri
    src = html.unescape(re.search(r'<img class="qr" src="([^"]+)"', page.text).group(1))
    assert src == qr_data_uri(uri) == segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=4)
    assert "http" not in src.split(",", 1)[0]  # a data: URI, no third party
    # A wrong code is refused, then the right one confirms and shows ten codes once.
    token = csrf_token(client, "/mfa/enrol")
    wrong = client.post("/mfa/enrol", data={"code": "12345x", "csrf_token": token}, follow_redirects=False)
    assert wrong.status_code == 401 and "Wrong code" in wrong.text
    confirmed = enrol_in_page(client, "carer")
    assert confirmed.status_code == 200 and len(RECOVERY_CODES[(settings.escalation_url, "carer")]) == 10
    assert client.get("/", follow_redirects=False).status_code == 200
    assert client.get("/mfa/enrol", follow_redirects=False).headers["location"] == "/"
    log = actions(settings)
    assert log.index("login.password") < log.index("mfa.enrol.failed") < log.index("mfa.enrolled") < log.index("login")


def test_wrong_and_replayed_codes_are_refused_audited_and_throttled(
    client: TestClient, settings: Settings, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    login(client)
    used = totp_code(client, "nurse", fresh=False)  # the code that just signed in
    client.cookies.clear()
    post_login(client, login_token(client))
    replay = second_factor(client, code=used)
    assert replay.status_code == 401 and "already used" in replay.text
    assert "a code was used twice for staff account" in caplog.text
    wrong = f"{(int(used) + 500_000) % 1_000_000:06d}"
    for _ in range(4):
        assert second_factor(client, code=wrong).status_code == 401
    # Five failures (the replay counts): even the right code is refused now.
    blocked = second_factor(client, code=totp_code(client, "nurse"))
    assert blocked.status_code == 429 and "Too many wrong codes" in blocked.text
    # A right password does not clear the code failures.
    client.cookies.clear()
    assert post_login(client, login_token(client)).status_code == 303
    assert second_factor(client).status_code == 429
    clock.advance(minutes=16)
    client.cookies.clear()
    assert login(client).status_code == 303
    log = actions(settings)
    assert log.count("mfa.replayed") == 1 and log.count("mfa.failed") == 4 and log.count("mfa.throttled") == 2


def test_a_recovery_code_signs_in_once(client: TestClient, settings: Settings) -> None:
    codes = RECOVERY_CODES[(settings.escalation_url, "nurse")]
    for attempt in range(2):
        client.cookies.clear()
        post_login(client, login_token(client))
        reply = client.post(
            "/mfa/recovery",
            data={"recovery_code": codes[0], "csrf_token": csrf_token(client, "/mfa")},
            follow_redirects=False,
        )
        assert reply.status_code == (303 if attempt == 0 else 401)
    entries = AuditLog(settings.escalation_url).entries()
    used = [e for e in entries if e.action == "mfa.recovery_used"]
    assert len(used) == 1 and used[0].detail == "left=9" and used[0].actor == "nurse"
    assert codes[0] not in " ".join(str(e.detail) for e in entries)


def test_reset_mfa_ends_sessions_and_enrolment_starts_again(
    client: TestClient, settings: Settings, users: StaffUserStore
) -> None:
    login(client)
    assert client.get("/", follow_redirects=False).status_code == 200
    assert manage.run(["reset-mfa", "nurse"], settings=settings) == 0
    assert client.get("/", follow_redirects=False).status_code == 303
    response = post_login(client, login_token(client))
    assert response.headers["location"] == "/mfa/enrol"
    old = TOTP_SECRETS[(settings.escalation_url, "nurse")]
    assert enrol_in_page(client, "nurse").status_code == 200
    assert TOTP_SECRETS[(settings.escalation_url, "nurse")] != old
    assert manage.run(["reset-mfa", "nobody"], settings=settings) == 2
    entry = next(e for e in AuditLog(settings.escalation_url).entries() if e.action == "mfa.reset")
    assert entry.actor == "cli" and entry.target == "user:nurse" and entry.detail == "had_key=True sessions=1"


def test_list_users_shows_who_has_enrolled(settings: Settings, users: StaffUserStore, capsys: pytest.CaptureFixture) -> None:
    StaffUserStore(settings.escalation_url, hasher=FAST_HASHER).create("carer", "a-long-enough-password")
    assert manage.run(["list-users"], settings=settings) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "boss\tadmin\ttotp" in lines and "carer\tstaff\tnot enrolled" in lines


def test_the_api_token_is_not_a_second_factor(client: TestClient) -> None:
    post_login(client, login_token(client))
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    assert client.get("/", headers=headers, follow_redirects=False).headers["location"] == "/mfa"
    assert PASSWORDS["nurse"] not in client.get("/mfa").text


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_migration_0005_ends_password_only_sessions_and_downgrades(
    dialect: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from alembic import command
    from alembic.config import Config

    from meso.store.db import MIGRATIONS_DIR, make_engine

    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        url = request.getfixturevalue("postgres").new_database()
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "0004")
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO staff_users (username, password_hash, role, created_at, disabled) "
                "VALUES ('old', 'x', 'staff', '2025-01-01 00:00:00', false)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO staff_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) "
                "SELECT 'h', id, 't', '2025-01-01 00:00:00', '2025-01-01 00:00:00' FROM staff_users"
            )
        )
    command.upgrade(config, "head")
    inspector = sa.inspect(engine)
    assert {"staff_totp", "staff_recovery_codes", "api_tokens"} <= set(inspector.get_table_names())
    assert "verified" in {column["name"] for column in inspector.get_columns("staff_sessions")}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM staff_sessions")).scalar_one() == 0
    command.downgrade(config, "0004")
    assert "api_tokens" not in set(sa.inspect(engine).get_table_names())
    command.upgrade(config, "head")
    engine.dispose()
