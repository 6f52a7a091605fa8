"""Behind a trusted proxy (SANIC_PROXIES_COUNT=1, as docs/DEPLOYMENT.md sets it for the
ingress) the per-address rate limit counts the patient's address from X-Forwarded-For,
not the proxy's, and an address the client wrote into the header itself is ignored.
(Without the setting the header is not trusted at all: tests/hostile/test_rest.py.)"""

from __future__ import annotations

from typing import Iterator, Optional

import httpx
import pytest

from devstack.stack import Stack, running_stack

PER_IP = 2


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    overrides = {
        "SANIC_PROXIES_COUNT": "1",
        "RATE_LIMIT_WINDOW_SECONDS": "120",
        "RATE_LIMIT_PER_IP": str(PER_IP),
        "RATE_LIMIT_PER_SENDER": "100",
    }
    with running_stack(tmp_path_factory.mktemp("proxied_stack"), overrides) as running:
        yield running


def post(stack: Stack, sender: str, forwarded: Optional[str]) -> int:
    """One empty message through the 'proxy' (all from 127.0.0.1); its HTTP status."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    reply = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": ""},
        headers=headers,
        timeout=60,
    )
    return reply.status_code


def test_each_forwarded_address_has_its_own_budget(stack: Stack) -> None:
    for number in range(PER_IP):
        assert post(stack, f"proxied-a-{number}", "198.51.100.1") == 200
    assert post(stack, "proxied-a-next", "198.51.100.1") == 429, "the patient's address is limited"
    assert post(stack, "proxied-b", "198.51.100.2") == 200, "another patient behind the same proxy is not"


def test_an_address_the_client_wrote_is_ignored(stack: Stack) -> None:
    for number in range(PER_IP):
        assert post(stack, f"proxied-c-{number}", f"203.0.113.{number}, 198.51.100.3") == 200
    # The proxy appends the real peer (198.51.100.3) last; the forged first entry changes nothing.
    assert post(stack, "proxied-c-next", "203.0.113.99, 198.51.100.3") == 429
