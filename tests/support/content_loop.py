"""Helpers for the content-loop tests: staff accounts with a second factor, and waiting
for an approved answer to reach patients."""

from __future__ import annotations

import time
from typing import Callable, Dict, List

import pyotp

from meso.accounts.mfa import SecondFactorStore
from meso.accounts.users import StaffUserStore

# A question the seed facts decline ("unsure": closest is another fact) that the needles
# fact answers: how big the needles are.
QUESTION = "How tiny are the pins?"
FACT = "needles-size"
PASSWORD = "content-loop-password"


def staff_accounts(url: str, roles: Dict[str, str]) -> Dict[str, str]:
    """Creates the accounts (username -> role) with an enrolled second factor; returns their TOTP keys."""
    users, second_factor, keys = StaffUserStore(url), SecondFactorStore(url), {}
    for name, role in roles.items():
        user = users.create(name, PASSWORD, role)
        secret = second_factor.begin_enrolment(user.id).secret
        # Confirmed with the previous step's code, so signing in with the current one is no replay.
        assert second_factor.confirm_enrolment(user.id, secret, pyotp.TOTP(secret).at(time.time() - 30))
        keys[name] = secret
    return keys


def texts(replies: List[dict]) -> str:
    return " ".join(reply.get("text") or "" for reply in replies)


def wait_for_answer(ask: Callable[[], str], expected: str, limit: float = 10.0) -> float:
    """Asks until the reply contains `expected`; returns the seconds it took (fails after `limit`)."""
    start = time.monotonic()
    while True:
        if expected in ask():
            return time.monotonic() - start
        if time.monotonic() - start > limit:
            raise AssertionError(f"the approved answer was not served within {limit} s")
        time.sleep(0.05)
