"""The benchmark's pure parts: the message mix, statistics, targets and report."""

from __future__ import annotations

import itertools
import math

from bench.mix import WEIGHTED, all_messages, conversations
from bench.report import console, markdown
from bench.stats import percentile, summarize
from bench.targets import checks


def test_percentile_by_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))


def test_summary_throughput_and_percentiles() -> None:
    summary = summarize([0.010] * 90 + [0.100] * 10, errors=2, seconds=10, empty=1)
    assert summary.messages == 100
    assert summary.throughput == 10
    assert summary.p50_ms == 10 and summary.p95_ms == 100 and summary.max_ms == 100
    assert summary.as_dict()["errors"] == 2


def test_mix_is_reproducible_and_realistic() -> None:
    first = list(itertools.islice(conversations(7), 200))
    assert first == list(itertools.islice(conversations(7), 200))
    assert len({c.sender for c in first}) == 200, "every conversation has its own sender"
    scripts = {script for group, _ in WEIGHTED for script in group}
    assert all(c.turns in scripts for c in first)
    assert sum(len(c.turns) for c in first) / len(first) >= 3, "several turns per conversation"
    kinds = {id(group) for c in first for group, _ in WEIGHTED if c.turns in group}
    assert len(kinds) == len(WEIGHTED), "topics, risk, chit-chat and the call-back form all occur"


def test_all_messages_are_distinct() -> None:
    messages = all_messages()
    assert len(messages) == len(set(messages)) > 20


def _result(ours_rps: float, ours_p95: float) -> dict:
    return {
        "load": {
            "ours": {
                "throughput": ours_rps,
                "p95_ms": ours_p95,
                "p50_ms": 1,
                "p99_ms": 1,
                "errors": 0,
                "messages": 9,
            },
            "stock": {
                "throughput": 10.0,
                "p95_ms": 100.0,
                "p50_ms": 1,
                "p99_ms": 1,
                "errors": 1,
                "messages": 9,
            },
        },
        "single_conversation": {"p95_ms": 30.0},
        "rss_mb": {"ours": {"rasa": 600, "rasa_max": 600}},
        "training_s": 60.0,
        "cold_start": {"first_answer_s": 12.0},
    }


def test_targets_met_and_missed() -> None:
    met = {check.name: check.met for check in checks(_result(25.0, 40.0))}
    assert all(met.values())
    missed = {check.name: check.met for check in checks(_result(15.0, 60.0))}
    assert missed["throughput vs stock"] is False and missed["p95 vs stock p95"] is False
    assert missed["errors (and empty answers) under load"] is True


def test_unmeasured_targets_are_marked_not_failed() -> None:
    assert all(check.met is None for check in checks({}))


def test_report_renders() -> None:
    result = _result(25.0, 40.0)
    assert "throughput vs stock" in console(result)
    text = markdown({**result, "machine": {"cpu": "Test CPU", "cores": 2}})
    assert text.startswith("# Benchmark") and "Test CPU" in text and "| met |" in text.replace("  ", " ")
