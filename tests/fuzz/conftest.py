"""The fuzzed servers and the record of what was tried (results/fuzz.json).

One assistant (production mode: REST needs its token; SMS Twilio-signed; widget origin
checked) and one staff console. Rate limits per sender are on, and each fuzz test
draws its senders from a small pool: every input is processed by the real server, but
only the first few of each sender cost a full NLU turn, which bounds the run time.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, settings

from devstack.stack import ROOT, Stack, running_stack
from tests.support.staff_server import StaffServer, start_staff

REST_TOKEN = "fuzz-rest-token-0123456789abcdef"
TWILIO_TOKEN = "fuzz-twilio-auth-token"
SMS_URL = "https://assistant.clinic.example/webhooks/sms/webhook"
STAFF_API_TOKEN = "fuzz-staff-api-token-0123456789abcdef"
PER_SENDER = 2
RESULTS = ROOT / "results" / "fuzz.json"

# Shared hypothesis profile: no example database in the repository, no deadline (a real
# NLU turn takes a while), fixtures are servers that outlive examples on purpose.
FUZZ = settings(
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


@dataclass
class Tally:
    """What one fuzz target sent and got back."""

    inputs: int = 0
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def saw(self, status: int) -> None:
        self.inputs += 1
        self.statuses[str(status)] += 1


@dataclass
class FuzzRecord:
    """Every target's tally, written to results/fuzz.json at the end of the session."""

    targets: Dict[str, Tally] = field(default_factory=dict)
    extra: Dict[str, object] = field(default_factory=dict)

    def target(self, name: str) -> Tally:
        return self.targets.setdefault(name, Tally())

    def write(self) -> None:
        total = sum(t.inputs for t in self.targets.values())
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps(
                {
                    "inputs_total": total,
                    "server_errors_5xx": sum(
                        n for t in self.targets.values() for s, n in t.statuses.items() if s.startswith("5")
                    ),
                    "seconds_total": round(sum(t.seconds for t in self.targets.values()), 1),
                    "targets": {
                        name: {
                            "inputs": t.inputs,
                            "seconds": round(t.seconds, 1),
                            "statuses": dict(t.statuses),
                        }
                        for name, t in sorted(self.targets.items())
                    },
                    **self.extra,
                    "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )


@pytest.fixture(scope="package")
def record() -> Iterator[FuzzRecord]:
    tallies = FuzzRecord()
    yield tallies
    tallies.write()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(
        tmp_path_factory.mktemp("fuzz_stack"),
        {
            "ASSISTANT_MODE": "production",
            "REST_API_TOKEN": REST_TOKEN,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "SMS_PUBLIC_URL": SMS_URL,
            "RATE_LIMIT_WINDOW_SECONDS": "3600",
            "RATE_LIMIT_PER_SENDER": str(PER_SENDER),
            "LOG_LEVEL": "WARNING",
        },
        widget_page_origin=True,
    ) as running:
        yield running


@pytest.fixture(scope="package")
def staff(stack: Stack) -> Iterator[StaffServer]:
    server = start_staff(stack.env, stack.data_dir / "staff.log", {"STAFF_API_TOKEN": STAFF_API_TOKEN})
    try:
        yield server
    finally:
        server.stop()


def assert_healthy(stack: Stack) -> None:
    """The Rasa server is up and /healthz/ reports every dependency fine."""
    for name, process in stack.processes.items():
        assert process.poll() is None, f"{name} died"
    reply = httpx.get(f"{stack.rasa_url}/healthz/", timeout=30)
    assert reply.status_code == 200 and reply.json()["ok"], reply.text
