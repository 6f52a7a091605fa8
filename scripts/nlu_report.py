"""Summarise a Rasa NLU evaluation (intent_report.json) into summary.txt.

Usage: python scripts/nlu_report.py [RESULTS_DIR]   (default: results/nlu)

Writes RESULTS_DIR/summary.txt with macro-F1, weighted-F1, the intents whose F1 is
below 0.95 and the most frequent confusions, and prints the macro-F1.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Tuple

WEAK_F1 = 0.95
TOP_CONFUSIONS = 15
AVERAGE_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def load_report(results: Path) -> Dict[str, Any]:
    """The intent report Rasa wrote (cross-validation or single run)."""
    return json.loads((results / "intent_report.json").read_text(encoding="utf-8"))


def weak_intents(report: Dict[str, Any], limit: float = WEAK_F1) -> List[Tuple[str, float, int]]:
    """(intent, f1, support) for every intent with F1 below `limit`, worst first."""
    rows = [
        (name, float(scores["f1-score"]), int(scores.get("support", 0)))
        for name, scores in report.items()
        if name not in AVERAGE_KEYS and isinstance(scores, dict) and "f1-score" in scores
    ]
    return sorted((row for row in rows if row[1] < limit), key=lambda row: row[1])


def confusions(report: Dict[str, Any]) -> Counter:
    """(true, predicted) -> count, from each intent's `confused_with`."""
    counts: Counter = Counter()
    for name, scores in report.items():
        if name in AVERAGE_KEYS or not isinstance(scores, dict):
            continue
        for predicted, count in (scores.get("confused_with") or {}).items():
            counts[(name, predicted)] += int(count)
    return counts


def misclassified(results: Path, limit: int = 40) -> List[str]:
    """A few misclassified examples, if Rasa wrote intent_errors.json."""
    path = results / "intent_errors.json"
    if not path.exists():
        return []
    errors = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for error in errors[:limit]:
        predicted = error.get("intent_prediction") or {}
        lines.append(
            f"  {error.get('intent')} -> {predicted.get('name')} "
            f"({float(predicted.get('confidence') or 0):.2f}): {error.get('text')}"
        )
    return lines


def summarise(results: Path) -> Tuple[str, float]:
    """The summary text and the macro-F1."""
    report = load_report(results)
    macro = float(report["macro avg"]["f1-score"])
    weighted = float(report["weighted avg"]["f1-score"])
    lines = [
        f"intent macro-F1:    {macro:.4f}",
        f"intent weighted-F1: {weighted:.4f}",
        f"accuracy:           {float(report.get('accuracy', 0.0)):.4f}",
        "",
        f"intents with F1 below {WEAK_F1}:",
    ]
    weak = weak_intents(report)
    lines += [f"  {name:<24} {f1:.3f} (support {support})" for name, f1, support in weak] or ["  none"]
    lines += ["", "top confusions (true -> predicted: count):"]
    top = confusions(report).most_common(TOP_CONFUSIONS)
    lines += [f"  {true} -> {predicted}: {count}" for (true, predicted), count in top] or ["  none"]
    errors = misclassified(results)
    if errors:
        lines += ["", "misclassified examples (first 40):", *errors]
    return "\n".join(lines) + "\n", macro


def main(argv: List[str]) -> int:
    results = Path(argv[1]) if len(argv) > 1 else Path("results/nlu")
    text, macro = summarise(results)
    (results / "summary.txt").write_text(text, encoding="utf-8")
    print(f"intent macro-F1: {macro:.4f} (details in {results / 'summary.txt'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
