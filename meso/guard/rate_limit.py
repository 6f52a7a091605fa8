"""In-process rate limits: at most N messages per key in any sliding window of W seconds.

Pure logic, no I/O. A channel calls `RateLimiter.hit` with the keys of one message
(its sender, its client IP); the message is refused when any key has used up its
window, and only accepted messages are counted, so a patient who waits gets through
again. Counts live in this process; `meso.guard.shared_rate_limit` keeps them in Redis
for several Sanic workers or replicas, behind the same `Limiter` contract.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Mapping, Optional, Protocol

Clock = Callable[[], float]
DEFAULT_MAX_KEYS = 50_000


@dataclass(frozen=True)
class Limit:
    """`count` messages per `seconds`; a count or window of 0 or less means no limit."""

    count: int
    seconds: float

    @property
    def enabled(self) -> bool:
        return self.count > 0 and self.seconds > 0


@dataclass(frozen=True)
class Decision:
    """The outcome of one `hit`: allowed, or refused by the named scope for `retry_after` s."""

    allowed: bool
    scope: Optional[str] = None
    retry_after: float = 0.0


class Limiter(Protocol):
    """What a channel needs of a rate limiter."""

    def hit(self, **keys: Optional[str]) -> Decision:
        """Counts one message with these keys (scope=key), unless a scope refuses it."""


class SlidingWindow:
    """The message times of each key within the last `limit.seconds`.

    Args:
        limit: How many messages a key may send per window.
        clock: Monotonic seconds; tests pass their own.
        max_keys: Keys remembered at most; beyond it expired keys are dropped first,
            then the least recently seen ones (bounded memory under a flood of keys).
    """

    def __init__(self, limit: Limit, clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._times: OrderedDict[str, Deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> Deque[float]:
        times = self._times.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.limit.seconds:
            times.popleft()
        return times

    def wait(self, key: str) -> float:
        """Seconds until `key` may send again (0.0: now)."""
        if not self.limit.enabled:
            return 0.0
        now = self._clock()
        times = self._recent(key, now)
        if len(times) < self.limit.count:
            return 0.0
        return max(times[-self.limit.count] + self.limit.seconds - now, 0.001)

    def record(self, key: str) -> None:
        """Counts one message of `key` now."""
        if not self.limit.enabled:
            return
        now = self._clock()
        times = self._recent(key, now)
        times.append(now)
        self._times[key] = times
        self._times.move_to_end(key)
        if len(self._times) > self._max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        for key in [key for key, times in self._times.items() if not times or times[-1] <= now - self.limit.seconds]:
            del self._times[key]
        while len(self._times) > self._max_keys:
            self._times.popitem(last=False)

    def __len__(self) -> int:
        return len(self._times)


class RateLimiter:
    """Several named limits checked together ("sender", "ip", ...).

    Args:
        limits: A limit per scope; scopes whose limit is disabled are not tracked.
        clock: Monotonic seconds; tests pass their own.
        max_keys: Keys remembered per scope at most.
    """

    def __init__(
        self, limits: Mapping[str, Limit], clock: Clock = time.monotonic, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        self.windows: Dict[str, SlidingWindow] = {
            scope: SlidingWindow(limit, clock, max_keys) for scope, limit in limits.items() if limit.enabled
        }
        self._lock = threading.Lock()

    def hit(self, **keys: Optional[str]) -> Decision:
        """Counts one message with these keys (scope=key), unless a scope refuses it.

        A key of None or "" is not checked. Refused messages are not counted.
        """
        with self._lock:
            checked = [(scope, self.windows[scope], key) for scope, key in keys.items() if key and scope in self.windows]
            for scope, window, key in checked:
                wait = window.wait(key)  # type: ignore[arg-type]
                if wait > 0:
                    return Decision(False, scope, wait)
            for _, window, key in checked:
                window.record(key)  # type: ignore[arg-type]
            return Decision(True)
