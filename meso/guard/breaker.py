"""Outage bookkeeping, pure logic (no I/O): a circuit breaker and an incident counter.

`channels.action_guard` and `channels.tracker_guard` use one of each, so that one outage
costs one patient one wait (not every patient every turn), and /healthz can tell.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional


class Breaker:
    """Open for `cool_down` seconds after each failure; closed again by a success.

    Args:
        cool_down: Seconds to fail fast after a failure. While they run, `allow()` is
            False; afterwards calls are tried again (and a new failure reopens it).
        clock: Monotonic seconds; tests pass their own.
    """

    def __init__(self, cool_down: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cool_down = cool_down
        self._clock = clock
        self._open_until: Optional[float] = None
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """True when a call should be tried (closed, or the cool-down is over)."""
        with self._lock:
            return self._open_until is None or self._clock() >= self._open_until

    def failed(self) -> None:
        """Records a failure: fail fast for the next `cool_down` seconds."""
        with self._lock:
            self._open_until = self._clock() + self.cool_down

    def succeeded(self) -> None:
        """Records a success: close at once."""
        with self._lock:
            self._open_until = None

    @property
    def is_open(self) -> bool:
        """True while calls fail fast."""
        return not self.allow()


@dataclass
class Incident:
    """The failures of one dependency since the process started."""

    count: int = 0
    last_at: Optional[float] = None
    last_error: str = ""

    def record(self, error: BaseException, at: Optional[float] = None) -> None:
        """Counts a failure; keeps its time (epoch seconds) and class name, never its message."""
        self.count += 1
        self.last_at = time.time() if at is None else at
        self.last_error = type(error).__name__

    def as_dict(self) -> Dict[str, Any]:
        return {"failures": self.count, "last_failure_at": self.last_at, "last_error": self.last_error}
