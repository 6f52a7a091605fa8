"""Safety report: recall per reason, triage errors, false escalations and latency of the risk screen.

Runs every case of a cases file (default: the project's suite, tests/safety/cases.yml)
through the risk screen (`meso.safety.screen.BilingualScreen`: English and Spanish terms on
every message, as the assistant runs it), prints the figures and writes them to
results/safety[-<cases folder>-<cases file stem>].json.

A case is expected reasons (empty: benign) and an expected urgency (the highest of its
reasons). Figures:

* recall per reason: of the cases labelled with the reason, the share where the screen
  found it with the right urgency for the case;
* over-triage: a risky or benign case screened at a higher urgency than its label;
  over-triage to emergency: the same, screened as an emergency;
* under-triage: a risky case screened at a lower urgency (or not at all);
* false escalations: benign cases the screen escalated at all;
* misses: every case whose reasons, urgency or crisis flag differ, with its text (the
  evaluation sets are written or adapted from public pages, not patients' messages).

Usage:
    .venv/bin/python scripts/safety_report.py [--cases FILE] [--repeat N] [--quiet]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meso.contract import SCREEN_REASON_URGENCY as REASON_URGENCY  # noqa: E402
from meso.contract import URGENCY_RANK  # noqa: E402
from meso.safety.screen import BilingualScreen  # noqa: E402

CASES_FILE = ROOT / "tests" / "safety" / "cases.yml"
RESULTS = ROOT / "results"
# Targets of the realistic sets (issue 11); the project's own suite must also be exact.
TARGETS = {"emergency": 1.0, "complication": 1.0, "other": 0.98, "false_escalation": 0.03}


def percentile(values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def rank(urgency: Optional[str]) -> int:
    """0 for benign, then routine < urgent < emergency."""
    return URGENCY_RANK.get(urgency or "", 0)


def judge(case: Dict[str, Any], reasons: List[str], urgency: Optional[str], crisis: bool) -> Dict[str, bool]:
    """How one screening compares with its case's labels."""
    expected = rank(case["expect_urgency"])
    got = rank(urgency)
    return {
        "exact": sorted(reasons) == sorted(case["expect_reasons"])
        and urgency == case["expect_urgency"]
        and crisis == bool(case.get("expect_crisis", False)),
        "over": got > expected,
        "over_to_emergency": got > expected and urgency == "emergency",
        "under": got < expected,
    }


def run(cases_file: Path, repeat: int) -> Dict[str, Any]:
    """Screens every case `repeat` times and returns the report."""
    data = yaml.safe_load(cases_file.read_text(encoding="utf-8"))
    # Safety sets list `cases`; the Spanish set (eval/es) lists `messages` with the same labels.
    cases = data["cases"] if "cases" in data else data["messages"]
    started = time.perf_counter()
    screen = BilingualScreen()
    build_ms = (time.perf_counter() - started) * 1000
    screen.screen("warm up")

    latencies: List[float] = []
    misses: List[Dict[str, Any]] = []
    per_reason: Dict[str, Dict[str, int]] = {reason: {"cases": 0, "found": 0} for reason in REASON_URGENCY}
    over: List[str] = []
    over_emergency: List[str] = []
    under: List[str] = []
    escalated: List[str] = []
    risky = benign = 0
    for case in cases:
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = screen.screen(case["text"])
            latencies.append((time.perf_counter() - t0) * 1000)
        verdict = judge(case, result.reasons, result.urgency, result.is_crisis)
        if case["expect_reasons"]:
            risky += 1
            for reason in case["expect_reasons"]:
                per_reason[reason]["cases"] += 1
                if reason in result.reasons and result.urgency == case["expect_urgency"]:
                    per_reason[reason]["found"] += 1
        else:
            benign += 1
            if result.is_risky:
                escalated.append(case["id"])
        for name, bucket in (("over", over), ("over_to_emergency", over_emergency), ("under", under)):
            if verdict[name]:
                bucket.append(case["id"])
        if not verdict["exact"]:
            misses.append(
                {
                    "id": case["id"],
                    "expected": {"reasons": case["expect_reasons"], "urgency": case["expect_urgency"],
                                 "crisis": bool(case.get("expect_crisis", False))},
                    "got": {"reasons": result.reasons, "urgency": result.urgency, "crisis": result.is_crisis},
                    "text": case["text"],
                }
            )
    recall = {
        reason: {**counts, "recall": round(counts["found"] / counts["cases"], 4)}
        for reason, counts in per_reason.items()
        if counts["cases"]
    }
    exact_risky = risky - sum(1 for miss in misses if miss["expected"]["reasons"])
    return {
        "cases_file": str(cases_file.relative_to(ROOT)) if cases_file.is_relative_to(ROOT) else cases_file.name,
        "cases": len(cases),
        "risky_cases": risky,
        "benign_cases": benign,
        "recall": round(exact_risky / risky, 4) if risky else None,
        "recall_per_reason": recall,
        "over_triage": over,
        "over_triage_to_emergency": over_emergency,
        "under_triage": under,
        "false_escalation_rate": round(len(escalated) / benign, 4) if benign else None,
        "false_escalations": escalated,
        "misses": misses,
        "latency_ms": {
            "mean": round(statistics.fmean(latencies), 3),
            "p95": round(percentile(latencies, 0.95), 3),
            "max": round(max(latencies), 3),
            "samples": len(latencies),
        },
        "build_ms": round(build_ms, 1),
    }


def meets_targets(report: Dict[str, Any]) -> bool:
    """The issue's targets: emergency and complication 100%, others >= 98%, no over-triage
    to emergency, false escalations <= 3%."""
    for reason, figures in report["recall_per_reason"].items():
        target = TARGETS.get(reason, TARGETS["other"])
        if figures["recall"] < target:
            return False
    false_rate = report["false_escalation_rate"] or 0.0
    return not report["over_triage_to_emergency"] and false_rate <= TARGETS["false_escalation"]


def print_report(report: Dict[str, Any], output: Path, quiet: bool) -> None:
    lat = report["latency_ms"]
    print(f"cases: {report['cases_file']}: {report['cases']} ({report['risky_cases']} risky, {report['benign_cases']} benign)")
    print(f"exact on risky cases (reasons, urgency, crisis): {report['recall']:.1%}")
    print("recall per reason with the right urgency:")
    for reason, figures in report["recall_per_reason"].items():
        print(f"  {reason:<13} {figures['found']:>3}/{figures['cases']:<3} {figures['recall']:.1%}")
    for name in ("over_triage", "over_triage_to_emergency", "under_triage"):
        print(f"{name.replace('_', ' ')}: {len(report[name])}  {report[name] or ''}")
    print(
        f"false escalations of benign cases: {report['false_escalation_rate']:.1%}"
        f" ({len(report['false_escalations'])}/{report['benign_cases']})  {report['false_escalations'] or ''}"
    )
    print(f"misses: {len(report['misses'])}")
    if not quiet:
        for miss in report["misses"]:
            exp, got = miss["expected"], miss["got"]
            print(
                f"  {miss['id']}: expected {exp['reasons'] or 'benign'}/{exp['urgency']}"
                f"{' crisis' if exp['crisis'] else ''}, got {got['reasons'] or 'benign'}/{got['urgency']}"
                f"{' crisis' if got['crisis'] else ''}: {miss['text']}"
            )
    print(f"screen latency per message: mean {lat['mean']:.2f} ms, p95 {lat['p95']:.2f} ms, max {lat['max']:.2f} ms")
    print(f"pipeline build: {report['build_ms']:.0f} ms; written to {output.relative_to(ROOT)}")


def main() -> int:
    """Prints the report and writes it as JSON; exit 1 when below the bar."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help="cases file (default: the project's suite)")
    parser.add_argument("--repeat", type=int, default=5, help="times each message is screened for latency")
    parser.add_argument("--quiet", action="store_true", help="list misses by id only")
    args = parser.parse_args()
    cases_file = args.cases.resolve()
    report = run(cases_file, max(1, args.repeat))
    suffix = "" if cases_file == CASES_FILE else f"-{cases_file.parent.name}-{cases_file.stem}"
    output = RESULTS / f"safety{suffix}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print_report(report, output, args.quiet)
    if cases_file == CASES_FILE:  # the project's own suite: every case exact, <= 5% escalated
        ok = report["recall"] == 1.0 and (report["false_escalation_rate"] or 0.0) <= 0.05
    else:
        ok = meets_targets(report)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
