"""Helpers shared by the reliability tests: timed turns, health, waiting, stacks."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import httpx

from devstack.stack import Stack, make_stack

OUTAGE = "Sorry, I can't answer that right now."
CLINIC_PHONE = "(818) 555-0100"  # what make_stack configures
REPLY_BUDGET_S = 5.0  # issue 7: a clear reply within 5 seconds, measured here at the client


def texts(replies: List[dict]) -> List[str]:
    return [reply.get("text", "") for reply in replies]


def timed_say(stack: Stack, sender: str, message: str) -> Tuple[float, List[str]]:
    """Seconds the reply took at the client, and its texts."""
    started = time.monotonic()
    replies = stack.say(sender, message, timeout=60)
    return time.monotonic() - started, texts(replies)


def health(stack: Stack) -> Tuple[int, Dict]:
    reply = httpx.get(f"{stack.rasa_url}/healthz/", timeout=30)
    return reply.status_code, reply.json()


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


def wait_healthy(stack: Stack, timeout: float = 30) -> None:
    wait_for(lambda: health(stack)[0] == 200, timeout, "/healthz/ back to 200")


def log_text(stack: Stack, name: str) -> str:
    path = stack.data_dir / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def running(
    data_dir: Path, overrides: Optional[Dict[str, str]] = None, actions: bool = True
) -> Iterator[Stack]:
    """A started stack (action server unless `actions` is False, then Rasa), stopped afterwards."""
    stack = make_stack(data_dir, overrides)
    try:
        if actions:
            stack.start_actions()
        stack.start_rasa()
        yield stack
    finally:
        stack.stop_all()


# Figures the tests measured, written to results/reliability.json for docs/RELIABILITY.md.
FIGURES: Dict[str, object] = {}


def record(name: str, value: object) -> None:
    """Keeps one measured figure (e.g. the slowest reply time of a scenario)."""
    FIGURES[name] = round(value, 3) if isinstance(value, float) else value
