"""Soak test: concurrent scripted conversations against the real servers, results in results/soak.json.

Starts its own action server and Rasa server on free loopback ports (SQLite stores in a
temporary folder), runs SOAK_USERS virtual patients for SOAK_SECONDS, each typing a
message every SOAK_THINK_SECONDS or so, and samples the resident memory (RSS) of both
servers. Passes (exit 0) with zero errors (including backend failures the patients
might not notice, read from /healthz/ at the end), zero escalations lost and less than
10% memory growth after SOAK_WARMUP_SECONDS.

Usage: make soak  (or SOAK_SECONDS=60 .venv/bin/python -m meso.runenv python scripts/soak.py)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devstack.stack import Stack, make_stack  # noqa: E402
from meso.cases.escalations import EscalationStore, dispose_engines  # noqa: E402

RESULTS = ROOT / "results" / "soak.json"
MAX_GROWTH = 0.10
OUTAGE = "Sorry, I can't answer that right now."
PROMISES = ("will review", "staff's queue", "I've alerted", "will call you at")

# (message, words every reply to it must contain; "" = any answer that is not an outage)
Conversation = Sequence[Tuple[str, str]]
CONVERSATIONS: List[Conversation] = [
    [
        ("hello", "assistant"),
        ("what is mesotherapy?", "Mesotherapy"),
        ("does it hurt?", "pain"),
        ("how long is the recovery?", "Partovy"),
        ("how much does it cost?", "cost"),
        ("thanks", "welcome"),
    ],
    [("I had a DVT two years ago, can I still do it?", "will review"), ("no", "won't take")],
    [("I had a mini stroke last year", "will review"), ("yes", "call you back")],
    [("please call me back", "call you back")],
    [("my lips and tongue are swelling up", "Please call 911 now")],
    [("the spot where I got the injections is red, hot and full of pus", "urgent care")],
]


@dataclass
class Tally:
    """What the virtual patients saw."""

    latencies: List[float] = field(default_factory=list)
    slowest: List[Tuple[float, str, str]] = field(default_factory=list)  # seconds, sender, message
    errors: List[str] = field(default_factory=list)
    promised: List[str] = field(default_factory=list)
    conversations: int = 0

    def error(self, sender: str, message: str, problem: str) -> None:
        self.errors.append(f"{sender}: {message!r}: {problem}")


def rss_mb(pid: int) -> Optional[float]:
    """Resident memory of a process in MB (Linux /proc), None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def growth(samples: Sequence[Tuple[float, float]], warmup: float) -> Dict[str, float]:
    """Baseline (mean of the first 3 samples after warm-up), final (mean of the last 3), growth."""
    after = [mb for at, mb in samples if at >= warmup]
    if len(after) < 2:
        raise ValueError("too few memory samples after the warm-up: run longer")
    head, tail = after[:3], after[-3:]
    baseline, final = statistics.mean(head), statistics.mean(tail)
    return {
        "baseline_mb": round(baseline, 1),
        "final_mb": round(final, 1),
        "peak_mb": round(max(after), 1),
        "growth_pct": round(100 * (final - baseline) / baseline, 2),
    }


async def patient(
    client: httpx.AsyncClient, url: str, user: int, deadline: float, think: float, tally: Tally
) -> None:
    rng = random.Random(user)
    number = 0
    while time.monotonic() < deadline:
        script = CONVERSATIONS[(user + number) % len(CONVERSATIONS)]
        sender = f"soak-{user}-{number}"
        number += 1
        for message, expected in script:
            if time.monotonic() >= deadline:
                return
            started = time.monotonic()
            try:
                reply = await client.post(url, json={"sender": sender, "message": message})
                tally.latencies.append(time.monotonic() - started)
                tally.slowest = sorted(
                    [*tally.slowest, (tally.latencies[-1], sender, message)], reverse=True
                )[:5]
                if reply.status_code != 200:
                    tally.error(sender, message, f"HTTP {reply.status_code}")
                    break
                said = " ".join(item.get("text", "") for item in reply.json())
            except (httpx.HTTPError, ValueError) as exc:
                tally.error(sender, message, type(exc).__name__)
                break
            if not said or OUTAGE in said or expected not in said:
                tally.error(sender, message, f"unexpected reply {said[:120]!r}")
                break
            if any(promise in said for promise in PROMISES):
                tally.promised.append(sender)
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        tally.conversations += 1


async def sample_memory(stack: Stack, started: float, deadline: float, every: float) -> Dict[str, list]:
    samples: Dict[str, list] = {"rasa": [], "actions": []}
    while time.monotonic() < deadline:
        for name in samples:
            mb = rss_mb(stack.processes[name].pid)
            if mb is not None:
                samples[name].append((time.monotonic() - started, mb))
        await asyncio.sleep(every)
    return samples


async def drive(stack: Stack, seconds: float, users: int, think: float) -> Tuple[Tally, Dict[str, list]]:
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        memory = asyncio.create_task(sample_memory(stack, started, deadline, every=min(5.0, seconds / 12)))
        await asyncio.gather(*(patient(client, url, user, deadline, think, tally) for user in range(users)))
        samples = await memory
    return tally, samples


def lost_escalations(url: str, promised: Sequence[str]) -> List[str]:
    """Senders told staff would follow up whose case is not in the database."""
    store = EscalationStore(url, alert_channels=())
    try:
        stored = {case.conversation_id for case in store.list(limit=1_000_000)}
    finally:
        dispose_engines()
    return sorted(set(promised) - stored)


def run_soak(
    seconds: float, users: int = 20, think: float = 1.0, warmup: Optional[float] = None
) -> Dict[str, Any]:
    """Runs the soak on a fresh stack; returns the figures (see results/soak.json)."""
    warmup = min(60.0, seconds * 0.2) if warmup is None else warmup
    with tempfile.TemporaryDirectory(prefix="meso-soak-") as folder:
        stack = make_stack(Path(folder))
        try:
            stack.start_actions()
            stack.start_rasa()
            tally, samples = asyncio.run(drive(stack, seconds, users, think))
            alive = all(process.poll() is None for process in stack.processes.values())
            health = httpx.get(f"{stack.rasa_url}/healthz/", timeout=30).json()
            lost = lost_escalations(stack.env["ESCALATION_DB_URL"], tally.promised)
        finally:
            stack.stop_all()
    memory = {name: growth(points, warmup) for name, points in samples.items()}
    # Failures the patients may not see (a turn answered but not stored) count too.
    backend_failures = health["action_server"]["failures"] + health["tracker_store"]["failures"]
    passed = (
        alive
        and health["ok"]
        and backend_failures == 0
        and not tally.errors
        and not lost
        and all(figures["growth_pct"] < 100 * MAX_GROWTH for figures in memory.values())
    )
    return {
        "passed": passed,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": {
            "seconds": seconds,
            "users": users,
            "think_seconds": think,
            "warmup_seconds": warmup,
            "stores": "SQLite (tracker and escalations)",
            "cpus": os.cpu_count(),
        },
        "turns": len(tally.latencies),
        "conversations": tally.conversations,
        "turns_per_second": round(len(tally.latencies) / seconds, 2),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:20],
        "servers_alive": alive,
        "backend_failures": backend_failures,
        "healthz_after": health,
        "latency_s": {
            "p50": round(percentile(tally.latencies, 0.50), 3),
            "p95": round(percentile(tally.latencies, 0.95), 3),
            "p99": round(percentile(tally.latencies, 0.99), 3),
            "max": round(max(tally.latencies, default=0.0), 3),
            "over_5s": sum(1 for seconds in tally.latencies if seconds > 5),
            "slowest": [
                {"seconds": round(seconds, 3), "sender": sender, "message": message}
                for seconds, sender, message in tally.slowest
            ],
        },
        "escalations": {
            "promised": len(set(tally.promised)),
            "lost": len(lost),
            "lost_senders": lost[:20],
        },
        "rss": memory,
        "max_growth_pct": 100 * MAX_GROWTH,
    }


def main() -> None:
    """Runs the soak from SOAK_* variables and writes results/soak.json."""
    seconds = float(os.environ.get("SOAK_SECONDS", "300"))
    warmup = os.environ.get("SOAK_WARMUP_SECONDS")
    result = run_soak(
        seconds,
        users=int(os.environ.get("SOAK_USERS", "20")),
        think=float(os.environ.get("SOAK_THINK_SECONDS", "1.0")),
        warmup=float(warmup) if warmup else None,
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps(
            {key: result[key] for key in ("passed", "turns", "errors", "latency_s", "escalations", "rss")}
        )
    )
    print(f"written: {RESULTS.relative_to(ROOT)}")
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
