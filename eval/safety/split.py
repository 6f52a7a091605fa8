"""Split the English risk evaluation set into a development half and a held-out half.

Run once: reads all.yml (the combined, labelled set) from this folder, checks every case,
splits stratified by (expect_urgency, expect_reasons) with random.Random(20261202), writes
dev.yml and heldout.yml, and deletes all.yml so the two halves are the only copy. It refuses
to run when a half already exists: the split is never redone.

    python eval/safety/split.py           # the one-time split (already done)
    python eval/safety/split.py --check   # validate dev.yml and heldout.yml
"""

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
COMBINED = HERE / "all.yml"
DEV = HERE / "dev.yml"
HELDOUT = HERE / "heldout.yml"
SEED = 20261202

# docs/CONTRACTS.md: the risk reasons and their urgencies.
URGENCY = {
    "emergency": "emergency",
    "complication": "urgent",
    "pregnancy": "routine",
    "blood_clots": "routine",
    "stroke": "routine",
    "cancer": "routine",
    "minor": "routine",
}
RANK = {"emergency": 3, "urgent": 2, "routine": 1}
ORIGINS = {"real", "voice"}
KEYS = ["id", "text", "expect_reasons", "expect_urgency", "expect_crisis", "origin", "source"]

HEADER = """\
# English risk evaluation set, {half} half ({count} messages). See README.md in this folder.
#
# Messages written the way patients write to a clinic chat or SMS line: adapted from public
# patient narratives (origin: real, source: the page) or written in patient voice (origin:
# voice, source: written). Labels follow docs/CONTRACTS.md; expect_reasons [] with
# expect_urgency null means benign; expect_crisis: true marks suicide-related messages.
# Split once from one combined file (split.py, seed {seed}); never edit the split.
{note}
"""
NOTES = {
    "dev": "# Development half: tune the risk screen on this one only.",
    "heldout": "# HELD-OUT half: measure with it, never tune on it, never copy its messages.",
}


def expected_urgency(reasons):
    """The highest urgency among the reasons, or None for a benign message."""
    levels = [URGENCY[r] for r in reasons]
    return max(levels, key=RANK.get) if levels else None


def check(cases):
    """Problems with a list of cases (empty when all is well)."""
    problems, seen_ids, seen_texts = [], set(), set()
    for case in cases:
        cid = case.get("id")
        where = f"case {cid!r}"
        unknown = set(case) - set(KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        if not cid or cid in seen_ids:
            problems.append(f"{where}: missing or duplicate id")
        seen_ids.add(cid)
        text = case.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: empty text")
        elif text.strip().lower() in seen_texts:
            problems.append(f"{where}: duplicate text")
        else:
            seen_texts.add(text.strip().lower())
        reasons = case.get("expect_reasons")
        if not isinstance(reasons, list) or any(r not in URGENCY for r in reasons):
            problems.append(f"{where}: illegal expect_reasons {reasons!r}")
            continue
        if len(set(reasons)) != len(reasons):
            problems.append(f"{where}: repeated reason")
        if case.get("expect_urgency") != expected_urgency(reasons):
            problems.append(f"{where}: expect_urgency should be {expected_urgency(reasons)!r}")
        crisis = case.get("expect_crisis", False)
        if crisis not in (True, False) or (crisis and "emergency" not in reasons):
            problems.append(f"{where}: expect_crisis only true, and only with emergency")
        if case.get("origin") not in ORIGINS:
            problems.append(f"{where}: origin must be one of {sorted(ORIGINS)}")
        source = case.get("source")
        real_source = isinstance(source, str) and source.startswith(("http://", "https://"))
        if case.get("origin") == "real" and not real_source:
            problems.append(f"{where}: a real message needs its page address in source")
        if case.get("origin") == "voice" and source != "written":
            problems.append(f"{where}: a voice message has source: written")
    return problems


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["cases"]


def split(cases):
    """(dev, heldout): each stratum shuffled with one seeded generator, halved."""
    strata = defaultdict(list)
    for case in cases:
        key = (case["expect_urgency"] or "benign", "+".join(case["expect_reasons"]))
        strata[key].append(case)
    rng = random.Random(SEED)
    dev, heldout, extra_to_dev = [], [], True
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda c: c["id"])
        rng.shuffle(members)
        cut = len(members) // 2
        if len(members) % 2:
            cut += 1 if extra_to_dev else 0
            extra_to_dev = not extra_to_dev
        dev += members[:cut]
        heldout += members[cut:]
    return sorted(dev, key=lambda c: c["id"]), sorted(heldout, key=lambda c: c["id"])


def flow_line(case):
    """One case as a one-line YAML flow mapping, keys in the suite's order.

    Strings are written as JSON strings, which YAML reads as double-quoted scalars."""
    values = {
        "id": case["id"],
        "text": json.dumps(case["text"], ensure_ascii=False),
        "expect_reasons": "[" + ", ".join(case["expect_reasons"]) + "]",
        "expect_urgency": case["expect_urgency"] or "null",
        "expect_crisis": "true" if case.get("expect_crisis") else None,
        "origin": case["origin"],
        "source": json.dumps(case["source"], ensure_ascii=False),
    }
    return "  - {" + ", ".join(f"{k}: {values[k]}" for k in KEYS if values[k]) + "}"


def write(path, half, cases):
    header = HEADER.format(half=half, count=len(cases), seed=SEED, note=NOTES[half])
    body = "\n".join(flow_line(c) for c in cases)
    path.write_text(header + "cases:\n" + body + "\n", encoding="utf-8")
    if load(path) != [{k: v for k, v in c.items() if k != "expect_crisis" or v} for c in cases]:
        raise SystemExit(f"{path.name} does not read back as written")


def main(argv):
    if "--check" in argv:
        dev, heldout = load(DEV), load(HELDOUT)
        problems = check(dev + heldout)
        for problem in problems:
            print(problem)
        print(f"dev {len(dev)}, heldout {len(heldout)}: "
              f"{'OK' if not problems else str(len(problems)) + ' problems'}")
        return 1 if problems else 0
    if DEV.exists() or HELDOUT.exists():
        print("dev.yml or heldout.yml already exists: the split is done once, never redone")
        return 1
    cases = load(COMBINED)
    problems = check(cases)
    if problems:
        print("\n".join(problems))
        return 1
    dev, heldout = split(cases)
    write(DEV, "dev", dev)
    write(HELDOUT, "heldout", heldout)
    if check(load(DEV) + load(HELDOUT)):
        raise SystemExit("the halves do not validate")
    COMBINED.unlink()
    print(f"dev {len(dev)}, heldout {len(heldout)}; {COMBINED.name} deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
