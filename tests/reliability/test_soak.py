"""A 30-second soak on the real servers (the 5-minute one is `make soak`)."""

from __future__ import annotations

from scripts.soak import run_soak
from tests.reliability.support import record


def test_short_soak_20_conversations() -> None:
    result = run_soak(30, users=20, think=1.0, warmup=10)
    record("soak_short.turns", result["turns"])
    record("soak_short.errors", result["errors"])
    record("soak_short.p95_s", result["latency_s"]["p95"])
    record("soak_short.escalations_lost", result["escalations"]["lost"])
    for name, figures in result["rss"].items():
        record(f"soak_short.{name}_rss_growth_pct", figures["growth_pct"])
    assert result["errors"] == 0, result["error_samples"]
    assert result["servers_alive"] and result["turns"] > 100
    assert result["backend_failures"] == 0 and result["healthz_after"]["ok"], result["healthz_after"]
    assert result["escalations"]["promised"] > 0 and result["escalations"]["lost"] == 0
    assert all(figures["growth_pct"] < 10 for figures in result["rss"].values()), result["rss"]
    assert result["passed"]
