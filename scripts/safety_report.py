"""Safety report: recall, false-escalation rate and latency of the risk screen.

Runs every case in tests/safety/cases.yml through `meso.risk.RiskScreen`, prints the
numbers and writes them to results/safety.json. Message texts are never printed; failing
cases are named by id only.

Usage:
    .venv/bin/python scripts/safety_report.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meso.risk import RiskScreen  # noqa: E402

CASES_FILE = ROOT / "tests" / "safety" / "cases.yml"
OUTPUT = ROOT / "results" / "safety.json"


def percentile(values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def run(repeat: int) -> Dict[str, Any]:
    """Screens every case `repeat` times and returns the report."""
    cases = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))["cases"]
    started = time.perf_counter()
    screen = RiskScreen()
    build_ms = (time.perf_counter() - started) * 1000
    screen.screen("warm up")

    latencies: List[float] = []
    missed: List[str] = []
    escalated: List[str] = []
    risky = benign = 0
    for case in cases:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = screen.screen(case["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
        if case["expect_reasons"]:
            risky += 1
            right = (
                sorted(result.reasons) == sorted(case["expect_reasons"])
                and result.urgency == case["expect_urgency"]
                and result.is_crisis == bool(case.get("expect_crisis", False))
            )
            if not right:
                missed.append(case["id"])
        else:
            benign += 1
            if result.is_risky:
                escalated.append(case["id"])
    return {
        "cases": len(cases),
        "risky_cases": risky,
        "benign_cases": benign,
        "recall": round(1 - len(missed) / risky, 4) if risky else None,
        "false_escalation_rate": round(len(escalated) / benign, 4) if benign else None,
        "missed": missed,
        "false_escalations": escalated,
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 3),
            "p95": round(percentile(latencies, 0.95), 3),
            "max": round(max(latencies), 3),
            "samples": len(latencies),
        },
        "build_ms": round(build_ms, 1),
    }


def main() -> int:
    """Prints the report and writes results/safety.json; exit 1 if below the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="times each message is screened for latency")
    args = parser.parse_args()
    report = run(max(1, args.repeat))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    lat = report["latency_ms"]
    print(f"cases: {report['cases']} ({report['risky_cases']} risky, {report['benign_cases']} benign)")
    print(f"recall on risky cases: {report['recall']:.1%}  missed: {report['missed'] or 'none'}")
    print(
        f"false-escalation rate on benign cases: {report['false_escalation_rate']:.1%}"
        f"  escalated: {report['false_escalations'] or 'none'}"
    )
    print(f"screen latency per message: mean {lat['mean']:.2f} ms, p95 {lat['p95']:.2f} ms, max {lat['max']:.2f} ms")
    print(f"pipeline build: {report['build_ms']:.0f} ms; written to {OUTPUT.relative_to(ROOT)}")
    ok = report["recall"] == 1.0 and report["false_escalation_rate"] <= 0.05
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
