"""Surfaces: Rasa's HTTP API (off, or JWT only) and the action server (loopback, token, no data in errors)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import httpx
import jwt
import pytest

from devstack.stack import ROOT, Stack
from serving.rasa_server import rasa_run_args
from tests.reliability.support import log_text, running

SECRET = "jwt-secret-for-tests-only-0123456789"
PATIENT_TEXT = "Quillonbury here, my number is 818 555 0147 and I'm pregnant"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running(tmp_path_factory.mktemp("surfaces")) as started:
        yield started


# -- Rasa's HTTP API ------------------------------------------------------------------------


def test_launcher_keeps_the_api_off_by_default_and_jwt_only_when_on() -> None:
    assert "--enable-api" not in rasa_run_args({})
    on = rasa_run_args({"RASA_ENABLE_API": "true", "RASA_JWT_SECRET": SECRET})
    assert on[on.index("--jwt-secret") + 1] == SECRET and "--enable-api" in on
    assert not {"-t", "--auth-token"} & set(on)
    with pytest.raises(ValueError, match="RASA_JWT_SECRET"):
        rasa_run_args({"RASA_ENABLE_API": "true", "RASA_JWT_SECRET": ""})
    with pytest.raises(ValueError, match="auth-token"):
        rasa_run_args({}, ["--auth-token", "x"])
    procfile = (ROOT / "Procfile").read_text()
    assert "rasa: python -m serving.rasa_server\n" in procfile and "auth-token" not in procfile


def test_api_is_off_by_default(stack: Stack) -> None:
    for path in ("/status", "/version", "/conversations/anyone/tracker"):
        assert httpx.get(f"{stack.rasa_url}{path}", timeout=10).status_code == 404, path
    reply = httpx.post(f"{stack.rasa_url}/model/parse", json={"text": "hi"}, timeout=10)
    assert reply.status_code == 404


def bearer(payload: Dict[str, Any], secret: str = SECRET) -> Dict[str, str]:
    return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}


def test_api_when_on_takes_only_a_valid_jwt(tmp_path: Path) -> None:
    overrides = {"RASA_ENABLE_API": "true", "RASA_JWT_SECRET": SECRET}
    with running(tmp_path, overrides, actions=False) as stack:
        url = f"{stack.rasa_url}/status"
        admin = {"user": {"username": "staff", "role": "admin"}}
        refused = [
            httpx.get(url, timeout=10),  # nothing
            httpx.get(url, params={"token": SECRET}, timeout=10),  # the --auth-token style
            httpx.get(url, headers=bearer(admin, "another-secret-0123456789abcdefghij"), timeout=10),
            httpx.get(url, headers={"Authorization": f"Bearer {SECRET}"}, timeout=10),
            httpx.post(f"{stack.rasa_url}/model/parse", json={"text": PATIENT_TEXT}, timeout=10),
        ]
        assert [reply.status_code for reply in refused] == [401] * len(refused)
        assert all(PATIENT_TEXT not in reply.text for reply in refused)
        assert httpx.get(url, headers=bearer(admin), timeout=30).status_code == 200
        other = bearer({"user": {"username": "someone-else", "role": "user"}})
        tracker = f"{stack.rasa_url}/conversations/patient-1/tracker"
        assert httpx.get(tracker, headers=other, timeout=10).status_code == 403


def test_no_cors_for_foreign_origins(stack: Stack) -> None:
    foreign = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    for url in (f"{stack.rasa_url}/webhooks/rest/webhook", f"{stack.actions_url}/webhook"):
        preflight = httpx.options(url, headers=foreign, timeout=10)
        assert "access-control-allow-origin" not in preflight.headers, url
    reply = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": "cors", "message": "hello"},
        headers={"Origin": "https://evil.example"},
        timeout=30,
    )
    assert "access-control-allow-origin" not in reply.headers


# -- the action server ----------------------------------------------------------------------


def listening_addresses(port: int) -> Set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def action_call(action: str, latest_message: Dict[str, Any]) -> Dict[str, Any]:
    tracker = {
        "sender_id": "patient-surfaces",
        "slots": {},
        "latest_message": latest_message,
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    return {
        "next_action": action,
        "sender_id": "patient-surfaces",
        "tracker": tracker,
        "domain": {},
        "version": "3.6.21",
    }


def test_action_server_listens_on_loopback_only(stack: Stack) -> None:
    assert listening_addresses(int(stack.env["ACTION_SERVER_PORT"])) == {"0100007F"}  # 127.0.0.1


def test_action_server_requires_the_token(stack: Stack) -> None:
    webhook = f"{stack.actions_url}/webhook"
    call = action_call("action_ask_contact_name", {"text": PATIENT_TEXT, "intent": {}, "entities": []})
    refused: List[httpx.Response] = [
        httpx.post(webhook, json=call, timeout=10),
        httpx.post(webhook, params={"token": "wrong"}, json=call, timeout=10),
        httpx.get(f"{stack.actions_url}/actions", timeout=10),
    ]
    assert [reply.status_code for reply in refused] == [401, 401, 401]
    assert all(reply.json() == {"error": "unauthorized"} for reply in refused)
    accepted = httpx.post(webhook, params={"token": stack.env["ACTION_SERVER_TOKEN"]}, json=call, timeout=30)
    assert accepted.status_code == 200 and accepted.json()["responses"]
    assert httpx.get(f"{stack.actions_url}/health", timeout=10).status_code == 200


def test_action_server_errors_carry_no_patient_data(stack: Stack) -> None:
    token = {"token": stack.env["ACTION_SERVER_TOKEN"]}
    webhook = f"{stack.actions_url}/webhook"
    # A malformed risk result makes the action raise inside the server.
    crash = action_call(
        "action_handle_risk", {"text": PATIENT_TEXT, "intent": {}, "entities": [], "risk": "x"}
    )
    failed = httpx.post(webhook, params=token, json=crash, timeout=30)
    assert failed.status_code == 500 and failed.json() == {"error": "internal error"}
    unknown = httpx.post(
        webhook, params=token, json=action_call("action_nope", {"text": PATIENT_TEXT}), timeout=30
    )
    assert unknown.status_code == 404
    garbage = httpx.post(webhook, params=token, content=b"not json " + PATIENT_TEXT.encode(), timeout=30)
    assert garbage.status_code in (400, 500)
    for reply in (failed, unknown, garbage):
        assert "Quillonbury" not in reply.text and "0147" not in reply.text, reply.text
    logs = log_text(stack, "actions")
    assert "Action server error: AttributeError" in logs
    assert "Quillonbury" not in logs and "0147" not in logs
    assert json.dumps(PATIENT_TEXT)[1:-1] not in logs
