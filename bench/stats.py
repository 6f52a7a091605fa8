"""Latency and throughput statistics of one load run (pure)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Dict, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Summary:
    """What a load run measured; latencies in milliseconds."""

    messages: int
    errors: int
    empty: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> Dict[str, Any]:
        return {
            key: (round(value, 2) if isinstance(value, float) else value)
            for key, value in asdict(self).items()
        }


def summarize(latencies_s: Sequence[float], errors: int, seconds: float, empty: int = 0) -> Summary:
    """Summary of answered turns' latencies (seconds) over a run of `seconds`.

    `errors`: turns that failed (HTTP error, timeout); `empty`: answered turns
    among `latencies_s` whose answer was empty.
    """
    ms = [value * 1000 for value in latencies_s]
    return Summary(
        messages=len(ms),
        errors=errors,
        empty=empty,
        seconds=seconds,
        throughput=len(ms) / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms) if ms else math.nan,
    )
