"""The issue's targets, checked against a benchmark result (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

RSS_LIMIT_MB = 1024.0
SINGLE_P95_MS = 50.0
TRAIN_LIMIT_S = 90.0
COLD_START_LIMIT_S = 20.0


@dataclass(frozen=True)
class Check:
    """One target: what it asks, what was measured, and whether it is met."""

    name: str
    target: str
    measured: str
    met: Optional[bool]  # None: not measured in this run


def _get(result: Dict[str, Any], *path: str) -> Any:
    node: Any = result
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _check(name: str, target: str, value: Any, fmt: str, ok: Any) -> Check:
    if value is None:
        return Check(name, target, "not measured", None)
    return Check(name, target, fmt.format(value), bool(ok(value)))


def checks(result: Dict[str, Any]) -> List[Check]:
    """Every target of the issue, in its order."""
    ours = _get(result, "load", "ours") or {}
    stock = _get(result, "load", "stock") or {}
    ratio = ours["throughput"] / stock["throughput"] if ours and stock and stock.get("throughput") else None
    p95_ratio = ours["p95_ms"] / stock["p95_ms"] if ours and stock and stock.get("p95_ms") else None
    errors = ours.get("errors", 0) + ours.get("empty", 0) if ours else None
    rasa_rss = _get(result, "rss_mb", "ours", "rasa_max")
    return [
        _check("throughput vs stock", ">= 2.0x", ratio, "{:.2f}x", lambda v: v >= 2.0),
        _check("p95 vs stock p95", "<= 0.5x", p95_ratio, "{:.2f}x", lambda v: v <= 0.5),
        _check("errors (and empty answers) under load", "0", errors, "{}", lambda v: v == 0),
        _check(
            "single conversation p95",
            f"<= {SINGLE_P95_MS:.0f} ms",
            _get(result, "single_conversation", "p95_ms"),
            "{:.1f} ms",
            lambda v: v <= SINGLE_P95_MS,
        ),
        _check(
            "Rasa peak RSS (per process)",
            f"<= {RSS_LIMIT_MB:.0f} MB",
            rasa_rss,
            "{:.0f} MB",
            lambda v: v <= RSS_LIMIT_MB,
        ),
        _check(
            "full training",
            f"<= {TRAIN_LIMIT_S:.0f} s",
            _get(result, "training_s"),
            "{:.1f} s",
            lambda v: v <= TRAIN_LIMIT_S,
        ),
        _check(
            "cold start to first answer",
            f"<= {COLD_START_LIMIT_S:.0f} s",
            _get(result, "cold_start", "first_answer_s"),
            "{:.1f} s",
            lambda v: v <= COLD_START_LIMIT_S,
        ),
    ]
