"""The outbox dispatcher against a real SMTP server and a real signature-checking webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from devstack.postgres import PostgresServer, free_port
from meso.cases.escalations import EscalationStore, dispose_engines
from meso.notify import alerts
from meso.notify.outbox import OutboxDispatcher
from meso.store.tables import outbox_table

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-webhook-secret"
PATIENT_TEXT = "my lips are swelling, call me on 818-555-0199"


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Webhook:
    """A real HTTP receiver on 127.0.0.1 that checks the signature like a staff system would."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.requests: List[Dict[str, Any]] = []
        self.statuses: List[int] = []  # planned answers to valid requests; then 200
        self.delay = 0.0
        self._lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("X-Signature-Timestamp", "")
                expected = (
                    "sha256="
                    + hmac.new(hook.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                valid = hmac.compare_digest(expected, self.headers.get("X-Signature-256", "")) and (
                    timestamp.isdigit() and abs(time.time() - int(timestamp)) <= 300
                )
                time.sleep(hook.delay)
                with hook._lock:
                    hook.requests.append({"body": body, "valid": valid, "headers": dict(self.headers)})
                    status = (hook.statuses.pop(0) if hook.statuses else 200) if valid else 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def valid(self) -> List[Dict[str, Any]]:
        return [request for request in self.requests if request["valid"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: List[Envelope] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd API
        self.envelopes.append(envelope)
        return "250 OK"


def smtp_server(port: int, mailbox: Mailbox, login: Optional[tuple] = None) -> Controller:
    options: Dict[str, Any] = {}
    if login:

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == login
            return AuthResult(success=ok)

        options = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture()
def webhook() -> Iterator[Webhook]:
    hook = Webhook(SECRET)
    yield hook
    hook.close()


@pytest.fixture()
def mailbox() -> Iterator[tuple]:
    box, port = Mailbox(), free_port()
    controller = smtp_server(port, box)
    yield box, port
    controller.stop()


@pytest.fixture()
def db_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'escalations.db'}"
    dispose_engines()


def rows(store: EscalationStore) -> List[Any]:
    return store.run_in_transaction(
        lambda connection: list(connection.execute(sa.select(outbox_table).order_by(outbox_table.c.id)))
    )


def email_sender(port: int, **options: Any) -> alerts.EmailSender:
    return alerts.EmailSender("127.0.0.1", port, "assistant@clinic.test", ("staff@clinic.test",), **options)


def test_webhook_and_email_are_delivered_once_without_patient_details(
    db_url: str, clock: FakeClock, webhook: Webhook, mailbox: tuple
) -> None:
    box, port = mailbox
    store = EscalationStore(db_url, alert_channels=("webhook", "email"), clock=clock)
    case = store.record("conv-1", "sms", "urgent", ["complication"], PATIENT_TEXT)
    dispatcher = OutboxDispatcher(
        store,
        {"webhook": alerts.WebhookSender(webhook.url, SECRET), "email": email_sender(port)},
        clock=clock,
    )
    assert dispatcher.run_once() == 2
    assert dispatcher.run_once() == 0
    clock.advance(3600)
    assert dispatcher.run_once() == 0

    [request] = webhook.requests
    assert request["valid"]
    body = json.loads(request["body"])
    assert body["escalation_id"] == case.id and body["urgency"] == "urgent"
    assert body["reasons"] == ["complication"] and body["channel"] == "sms"
    assert body["link"] == f"/escalations/{case.id}"
    assert request["headers"]["X-Alert-Delivery"] == str(body["delivery_id"])

    [envelope] = box.envelopes
    mail = message_from_bytes(envelope.content)  # type: ignore[arg-type]
    assert mail["Subject"] == f"[urgent] Escalation #{case.id}: complication"
    assert envelope.rcpt_tos == ["staff@clinic.test"]
    assert f"/escalations/{case.id}" in mail.get_payload()
    for raw in (request["body"], envelope.content):
        assert b"swelling" not in raw and b"555-0199" not in raw

    for row in rows(store):
        assert row.delivered_at == clock.now - timedelta(seconds=3600)
        assert (row.attempts, row.last_error) == (1, None)


def test_failure_is_retried_after_backoff_then_delivered_once(
    db_url: str, clock: FakeClock, webhook: Webhook
) -> None:
    store = EscalationStore(db_url, alert_channels=("webhook",), clock=clock)
    store.record("conv-1", "rest", "emergency", ["emergency"], PATIENT_TEXT)
    webhook.statuses = [500, 503]
    dispatcher = OutboxDispatcher(
        store, {"webhook": alerts.WebhookSender(webhook.url, SECRET)}, clock=clock, base_delay=5
    )

    assert dispatcher.run_once() == 0
    [row] = rows(store)
    assert (row.attempts, row.last_error) == (1, "webhook answered HTTP 500")
    assert row.next_attempt_at == clock.now + timedelta(seconds=5)

    clock.advance(4.9)
    assert dispatcher.run_once() == 0 and len(webhook.requests) == 1  # not due yet
    clock.advance(0.1)
    assert dispatcher.run_once() == 0 and len(webhook.requests) == 2
    [row] = rows(store)
    assert (row.attempts, row.next_attempt_at) == (2, clock.now + timedelta(seconds=10))  # doubled

    clock.advance(10)
    assert dispatcher.run_once() == 1
    clock.advance(3600)
    assert dispatcher.run_once() == 0
    assert len(webhook.requests) == 3 and all(request["valid"] for request in webhook.requests)
    [row] = rows(store)
    assert row.delivered_at is not None and row.last_error is None and row.attempts == 3


def test_gives_up_after_max_attempts_keeping_the_error(
    db_url: str, clock: FakeClock, webhook: Webhook
) -> None:
    store = EscalationStore(db_url, alert_channels=("webhook",), clock=clock)
    store.record("conv-1", "rest", "urgent", ["complication"], "x")
    webhook.statuses = [500] * 100
    dispatcher = OutboxDispatcher(
        store,
        {"webhook": alerts.WebhookSender(webhook.url, SECRET)},
        clock=clock,
        max_attempts=4,
        max_delay=12,
    )
    for _ in range(10):
        dispatcher.run_once()
        clock.advance(3600)
    assert len(webhook.requests) == 4
    [row] = rows(store)
    assert (row.attempts, row.delivered_at, row.last_error) == (4, None, "webhook answered HTTP 500")


def test_backoff_is_exponential_and_capped(db_url: str) -> None:
    dispatcher = OutboxDispatcher(EscalationStore(db_url), {})
    assert [dispatcher.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert dispatcher.backoff(10).total_seconds() == 900


def test_wrong_secret_is_refused_by_the_receiver_and_retried(
    db_url: str, clock: FakeClock, webhook: Webhook
) -> None:
    store = EscalationStore(db_url, alert_channels=("webhook",), clock=clock)
    store.record("conv-1", "rest", "urgent", ["complication"], "x")
    forged = OutboxDispatcher(
        store, {"webhook": alerts.WebhookSender(webhook.url, "not-the-secret")}, clock=clock
    )
    assert forged.run_once() == 0
    assert webhook.valid() == [] and rows(store)[0].last_error == "webhook answered HTTP 401"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_down_then_up_delivers_with_login(db_url: str, clock: FakeClock) -> None:
    store = EscalationStore(db_url, alert_channels=("email",), clock=clock)
    case = store.record("conv-1", "rest", "emergency", ["emergency"], PATIENT_TEXT)
    port = free_port()
    sender = email_sender(port, user="alerts", password="pw", timeout=2)
    dispatcher = OutboxDispatcher(store, {"email": sender}, clock=clock)
    assert dispatcher.run_once() == 0
    assert rows(store)[0].last_error == "email not sent: ConnectionRefusedError"

    box = Mailbox()
    controller = smtp_server(port, box, login=(b"alerts", b"pw"))
    try:
        clock.advance(5)
        assert dispatcher.run_once() == 1
    finally:
        controller.stop()
    [envelope] = box.envelopes
    assert message_from_bytes(envelope.content)["Subject"] == f"[emergency] Escalation #{case.id}: emergency"  # type: ignore[arg-type]


def test_unconfigured_channel_row_waits_with_an_error(db_url: str, clock: FakeClock) -> None:
    store = EscalationStore(db_url, alert_channels=("email",), clock=clock)
    store.record("conv-1", "rest", "urgent", ["complication"], "x")
    assert OutboxDispatcher(store, {}, clock=clock).run_once() == 0
    assert "not configured" in rows(store)[0].last_error


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_dispatchers_never_send_the_same_row(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, webhook: Webhook
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'escalations.db'}"
    else:
        server: PostgresServer = request.getfixturevalue("postgres")
        url = server.new_database()
    store = EscalationStore(url, alert_channels=("webhook",))
    for n in range(6):
        store.record(f"conv-{n}", "rest", "urgent", ["complication"], "x")
    webhook.delay = 0.05
    dispatchers = [
        OutboxDispatcher(store, {"webhook": alerts.WebhookSender(webhook.url, SECRET)}) for _ in range(2)
    ]
    results: List[int] = []
    threads = [threading.Thread(target=lambda d=d: results.append(d.run_once())) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 6
    ids = sorted(json.loads(r["body"])["delivery_id"] for r in webhook.requests)
    assert ids == sorted(row.id for row in rows(store))
    dispose_engines()


def test_signature_helpers_refuse_replays_and_tampering() -> None:
    body = b'{"escalation_id":1}'
    now = 1_700_000_000
    signature = alerts.sign(SECRET, str(now), body)
    assert alerts.verify_signature(SECRET, body, str(now), signature, now=now + 10)
    assert not alerts.verify_signature(SECRET, body, str(now), signature, now=now + 301)  # replayed later
    assert not alerts.verify_signature(SECRET, body + b" ", str(now), signature, now=now)
    assert not alerts.verify_signature("other", body, str(now), signature, now=now)
    assert not alerts.verify_signature(SECRET, body, "soon", signature, now=now)


def test_half_configured_webhook_is_refused() -> None:
    with pytest.raises(ValueError):
        alerts.WebhookSender("http://127.0.0.1:1/hook", "")
    with pytest.raises(ValueError):
        alerts.WebhookSender("file:///etc/passwd", "s")


def test_cli_delivers_and_stops_on_sigterm(tmp_path: Path, webhook: Webhook) -> None:
    url = f"sqlite:///{tmp_path / 'escalations.db'}"
    store = EscalationStore(url, alert_channels=("webhook",))
    store.record("conv-1", "rest", "emergency", ["emergency"], PATIENT_TEXT)
    env = {
        **os.environ,
        "ESCALATION_DB_URL": url,
        "DATA_DIR": str(tmp_path),
        "ALERT_WEBHOOK_URL": webhook.url,
        "ALERT_WEBHOOK_SECRET": SECRET,
        "SMTP_HOST": "",
        "ALERT_EMAIL_TO": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "meso.notify.outbox"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not webhook.valid() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert len(webhook.valid()) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output.decode()
    assert b"swelling" not in output and b"555-0199" not in output
    assert rows(store)[0].delivered_at is not None
    dispose_engines()
