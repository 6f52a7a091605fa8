"""No message text, phone number or name in the logs at INFO.

Conversations with distinctive words, names and numbers go through the real servers
(REST and Twilio-signed SMS) at LOG_LEVEL=INFO, including escalations and an action
server outage; then every process log is searched for them.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import List

import httpx
from twilio.request_validator import RequestValidator

from devstack.stack import Stack
from tests.reliability.support import log_text, running, timed_say

TWILIO_TOKEN = "test-twilio-auth-token"
PUBLIC_URL = "https://assistant.clinic.example/webhooks/sms/webhook"
SMS_PHONE = "+13105550188"

REST_TURNS = [
    "Hello, my name is Zephyrine Quattlebaum",
    "does it hurt? asking for Quillonbury",
    "I'm 12 weeks pregnant, Quillonbury says hi",
    "please call me back",
    "Zephyrine Quattlebaum",
    "818 555 0147",
    "Thursday afternoons near Xanadu Creek",
    "yes",
    "the spot where I got the injections is red and full of pus, Quillonbury",
    "I can't breathe and my throat is swelling, Zephyrine",
]
SMS_TURNS = ["does it hurt? Quillonbury", "I had a DVT, call Zephyrine at 818 555 0147", "STOP", "START"]
SECRETS = [
    "Zephyrine", "Quattlebaum", "Quillonbury", "Xanadu",
    "5550147", "555 0147", "555-0147", "3105550188", "555 0188", "555-0188",
]  # fmt: skip


def sms(stack: Stack, body: str, sid: str) -> None:
    params = {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": SMS_PHONE,
        "To": "+18185550199",
        "Body": body,
    }
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL, params)
    reply = httpx.post(
        f"{stack.rasa_url}/webhooks/sms/webhook",
        data=params,
        headers={"X-Twilio-Signature": signature},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text


def leaks(text: str) -> List[str]:
    digits_only = re.sub(r"\D", "", text)
    found = [secret for secret in SECRETS if secret.lower() in text.lower()]
    return found + [number for number in ("8185550147", "3105550188") if number in digits_only]


def test_no_patient_data_in_logs_at_info(tmp_path: Path) -> None:
    overrides = {"LOG_LEVEL": "INFO", "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "SMS_PUBLIC_URL": PUBLIC_URL}
    with running(tmp_path, overrides) as stack:
        for text in REST_TURNS:
            timed_say(stack, "logs-rest", text)
        for number, text in enumerate(SMS_TURNS):
            sms(stack, text, f"SM{number:032x}")
        stack.stop("actions", signal.SIGKILL)  # the outage path logs too
        timed_say(stack, "logs-rest", "how much does it cost, Quillonbury?")
        stack.start_actions()
        timed_say(stack, "logs-rest", "how much does it cost, Quillonbury?")

    logs = {name: log_text(stack, name) for name in ("rasa", "actions")}
    assert "escalation 1: opened" in logs["actions"]  # INFO lines were written...
    assert "Tracker store reachable" in logs["rasa"] and "SMS SM" in logs["rasa"]
    assert "not run (" in logs["rasa"]  # ...and the outage was logged
    for name, text in logs.items():
        assert not leaks(text), f"{name}.log: {leaks(text)}"
