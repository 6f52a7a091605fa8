"""Closed-loop load over the REST channel: N conversations at once, one turn at a time each."""

from __future__ import annotations

import asyncio
import time
import zlib
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Sequence

import httpx

from bench.mix import Conversation
from bench.stats import Summary, summarize


@dataclass
class Tally:
    """Latencies of the turns inside the measured window, and the failures."""

    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    turns: int = 0  # every turn sent, warm-up included (CPU per message divides by it)
    seconds: float = 0.0  # measured time

    def add(self, other: Tally) -> None:
        """Adds another run's figures (interleaved runs are summed)."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.empty += other.empty
        self.turns += other.turns
        self.seconds += other.seconds

    def summary(self) -> Summary:
        return summarize(self.latencies, self.errors, self.seconds, self.empty)


async def _turn(client: httpx.AsyncClient, url: str, sender: str, text: str) -> Optional[bool]:
    """One message: True answered, False answered with nothing, None failed (HTTP, timeout)."""
    try:
        reply = await client.post(url, json={"sender": sender, "message": text})
        return bool(reply.json()) if reply.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


async def _user(
    client: httpx.AsyncClient,
    urls: Sequence[str],
    stream: Iterator[Conversation],
    window: tuple,
    tally: Tally,
) -> None:
    start, stop = window
    while time.monotonic() < stop:
        conversation = next(stream)
        offset = zlib.crc32(conversation.sender.encode()) % len(urls)
        for number, text in enumerate(conversation.turns):
            if time.monotonic() >= stop:
                return
            # Turns of one conversation alternate between replicas (no stickiness).
            url = urls[(offset + number) % len(urls)]
            began = time.monotonic()
            ok = await _turn(client, url, conversation.sender, text)
            ended = time.monotonic()
            tally.turns += 1
            if began >= start and ended <= stop:
                if ok is None:
                    tally.errors += 1
                    continue
                # An empty answer is a turn the server did (it counts in throughput
                # and latency), and is reported apart.
                tally.latencies.append(ended - began)
                tally.empty += not ok


async def _run(
    urls: Sequence[str], stream: Iterator[Conversation], users: int, warmup: float, duration: float
) -> Tally:
    # A new connection per turn, as separate patients' browsers make: kept-alive
    # connections would all be accepted by whichever Sanic worker is first to
    # accept at the start, and stay with it while the other worker idles.
    limits = httpx.Limits(max_connections=users * len(urls), max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        start = time.monotonic() + warmup
        tally = Tally(seconds=duration)
        await asyncio.gather(
            *(_user(client, urls, stream, (start, start + duration), tally) for _ in range(users))
        )
    return tally


def run_load(
    webhooks: Sequence[str], stream: Iterator[Conversation], users: int, warmup: float, duration: float
) -> Tally:
    """Drives `users` concurrent conversations; measures `duration` s after `warmup` s."""
    return asyncio.run(_run(webhooks, stream, users, warmup, duration))
