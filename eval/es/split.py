"""Validate the Spanish evaluation set and split it once into dev and held-out halves.

    python eval/es/split.py           # validate all.yml, split it, delete all.yml
    python eval/es/split.py --check   # re-validate dev.yml and heldout.yml (after the split)

The split is stratified by `kind` and seeded with random.Random(20261202). It runs
once: it refuses to overwrite an existing dev.yml or heldout.yml. Legal reason codes
and urgencies are read from docs/CONTRACTS.md, fact ids from facts/facts.yml.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

SEED = 20261202
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COMBINED = HERE / "all.yml"
HALVES = {"dev": HERE / "dev.yml", "heldout": HERE / "heldout.yml"}

KINDS = ("question", "not_covered", "risk", "benign_risk_words")
ORIGINS = ("real", "voice")
URGENCY_RANK = {"routine": 1, "urgent": 2, "emergency": 3}
# Only the risk screen's reasons apply to single messages; contact requests
# (human_request, callback, booking) are dialogue outcomes, not labels here.
RISK_REASONS = ("emergency", "complication", "pregnancy", "blood_clots", "stroke", "cancer", "minor")
KEYS = {"id", "text", "kind", "origin", "source", "questions", "expect_reasons", "expect_urgency"}
OPTIONAL_KEYS = {"expect_crisis"}


def contract_reasons() -> dict[str, str]:
    """Reason -> urgency, from the table in docs/CONTRACTS.md."""
    text = (ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
    section = text.split("## Reason codes and urgencies", 1)[1].split("\n## ", 1)[0]
    table: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[1] not in URGENCY_RANK:
            continue
        for reason in re.split(r"\s*,\s*", cells[0]):
            table[reason] = cells[1]
    return table


def fact_ids() -> set[str]:
    facts = yaml.safe_load((ROOT / "facts" / "facts.yml").read_text(encoding="utf-8"))
    return {fact["id"] for fact in facts["facts"]}


def problems_of(messages: list, facts: set[str], reasons: dict[str, str]) -> list[str]:
    """Every problem found, each naming the message id."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, msg in enumerate(messages):
        where = msg.get("id", f"#{index}") if isinstance(msg, dict) else f"#{index}"
        if not isinstance(msg, dict):
            problems.append(f"{where}: not a mapping")
            continue
        missing, extra = KEYS - msg.keys(), msg.keys() - KEYS - OPTIONAL_KEYS
        if missing or extra:
            problems.append(f"{where}: missing {sorted(missing)} extra {sorted(extra)}")
            continue
        if not re.fullmatch(r"e\d{3}", str(msg["id"])):
            problems.append(f"{where}: id must look like e001")
        if msg["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(msg["id"])
        if not isinstance(msg["text"], str) or not msg["text"].strip():
            problems.append(f"{where}: empty text")
        if msg["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind {msg['kind']!r}")
        if msg["origin"] not in ORIGINS:
            problems.append(f"{where}: unknown origin {msg['origin']!r}")
        if msg["source"] != "written" and not str(msg["source"]).startswith(("http://", "https://")):
            problems.append(f"{where}: source must be 'written' or a page address")
        problems += _question_problems(where, msg, facts)
        problems += _risk_problems(where, msg, reasons)
    return problems


def _question_problems(where: str, msg: dict, facts: set[str]) -> list[str]:
    problems = []
    questions = msg["questions"]
    if not isinstance(questions, list):
        return [f"{where}: questions must be a list"]
    for question in questions:
        if not isinstance(question, dict) or "facts" not in question or set(question) - {"facts", "about"}:
            problems.append(f"{where}: a question is {{facts: [..], about: optional}}")
            continue
        unknown = [fact for fact in question["facts"] if fact not in facts]
        if unknown:
            problems.append(f"{where}: unknown fact ids {unknown}")
        if not question["facts"] and not question.get("about"):
            problems.append(f"{where}: a question with no facts needs `about`")
        if "about" in question and not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", str(question["about"])):
            problems.append(f"{where}: `about` must be a slug like sessions-needed")
    answered = [q for q in questions if isinstance(q, dict) and "about" not in q]
    gaps = [q for q in questions if isinstance(q, dict) and "about" in q]
    if msg["kind"] == "question" and not answered:
        problems.append(f"{where}: kind question needs a question the article answers")
    if msg["kind"] == "not_covered" and (answered or not gaps):
        problems.append(f"{where}: kind not_covered asks only questions the article does not answer")
    return problems


def _risk_problems(where: str, msg: dict, reasons: dict[str, str]) -> list[str]:
    problems = []
    expected, urgency = msg["expect_reasons"], msg["expect_urgency"]
    if not isinstance(expected, list) or len(set(expected)) != len(expected):
        return [f"{where}: expect_reasons must be a list without repeats"]
    unknown = [r for r in expected if r not in reasons or r not in RISK_REASONS]
    if unknown:
        return [f"{where}: illegal reason codes {unknown}"]
    if expected:
        want = max((reasons[r] for r in expected), key=URGENCY_RANK.__getitem__)
        if urgency != want:
            problems.append(f"{where}: urgency {urgency!r}, contract says {want!r}")
    elif urgency is not None:
        problems.append(f"{where}: benign messages have urgency null")
    if (msg["kind"] == "risk") != bool(expected):
        problems.append(f"{where}: kind risk if and only if expect_reasons is non-empty")
    if msg.get("expect_crisis") is not None and (
        msg["expect_crisis"] is not True or "emergency" not in expected
    ):
        problems.append(f"{where}: expect_crisis is only `true`, on an emergency")
    return problems


def split(messages: list) -> dict[str, list]:
    """Stratified by kind; an odd stratum's extra message alternates between halves."""
    rng = random.Random(SEED)
    by_kind: dict[str, list] = defaultdict(list)
    for msg in messages:
        by_kind[msg["kind"]].append(msg)
    halves: dict[str, list] = {"dev": [], "heldout": []}
    extra_to = "dev"
    for kind in KINDS:
        group = sorted(by_kind[kind], key=lambda m: m["id"])
        rng.shuffle(group)
        cut = len(group) // 2
        if len(group) % 2:
            cut += extra_to == "dev"
            extra_to = "heldout" if extra_to == "dev" else "dev"
        halves["dev"] += group[:cut]
        halves["heldout"] += group[cut:]
    for name in halves:
        halves[name].sort(key=lambda m: m["id"])
    return halves


def _scalar(value) -> str:
    # A JSON string or list is also valid YAML; it keeps the files easy to read.
    return json.dumps(value, ensure_ascii=False)


def render(name: str, messages: list) -> str:
    header = (
        f"# Spanish evaluation set, {name} half ({len(messages)} messages). See README.md.\n"
        f"# Split once from the combined set, stratified by kind, random.Random({SEED}).\n"
    )
    if name == "heldout":
        header += "# HELD OUT: do not read, tune on, or copy from this file while building features.\n"
    lines = [header.rstrip("\n"), "messages:"]
    for msg in messages:
        lines.append(f"  - id: {msg['id']}")
        lines.append(f"    text: {_scalar(msg['text'])}")
        for key in ("kind", "origin"):
            lines.append(f"    {key}: {msg[key]}")
        lines.append(f"    source: {_scalar(msg['source'])}")
        if msg["questions"]:
            lines.append("    questions:")
            for question in msg["questions"]:
                lines.append(f"      - facts: {_scalar(question['facts'])}")
                if "about" in question:
                    lines.append(f"        about: {_scalar(question['about'])}")
        else:
            lines.append("    questions: []")
        lines.append(f"    expect_reasons: [{', '.join(msg['expect_reasons'])}]")
        lines.append(f"    expect_urgency: {msg['expect_urgency'] or 'null'}")
        if msg.get("expect_crisis"):
            lines.append("    expect_crisis: true")
    return "\n".join(lines) + "\n"


def load(path: Path) -> list:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
        raise SystemExit(f"{path.name}: expected a mapping with a `messages` list")
    return data["messages"]


def summary(halves: dict[str, list]) -> str:
    out = []
    for name, messages in halves.items():
        kinds = Counter(m["kind"] for m in messages)
        reasons = Counter(r for m in messages for r in m["expect_reasons"])
        crisis = sum(1 for m in messages if m.get("expect_crisis"))
        out.append(
            f"{name}: {len(messages)} messages, kinds {dict(kinds)}, reasons {dict(reasons)}, crisis {crisis}"
        )
    return "\n".join(out)


def unlisted_abouts(messages: list) -> list[str]:
    """`about` slugs that facts/facts.yml lists neither under not_covered nor clinic_details.
    Informational: the facts file names the gaps it knows; the others are new gaps."""
    facts = yaml.safe_load((ROOT / "facts" / "facts.yml").read_text(encoding="utf-8"))
    known = {entry.get("id") for entry in facts.get("not_covered") or []} | set(
        facts.get("clinic_details") or {}
    )
    used = {q["about"] for m in messages for q in m["questions"] if "about" in q}
    return sorted(used - known)


def check(halves: dict[str, list]) -> None:
    everything = [m for messages in halves.values() for m in messages]
    problems = problems_of(everything, fact_ids(), contract_reasons())
    if problems:
        raise SystemExit("\n".join(problems))


def main(argv: list[str]) -> None:
    if argv == ["--check"]:
        halves = {name: load(path) for name, path in HALVES.items()}
        check(halves)
        print(summary(halves))
        print("gaps not named in facts/facts.yml:", unlisted_abouts([m for h in halves.values() for m in h]))
        return
    if argv:
        raise SystemExit(__doc__)
    if any(path.exists() for path in HALVES.values()):
        raise SystemExit("dev.yml or heldout.yml already exists: the split is done once")
    messages = load(COMBINED)
    problems = problems_of(messages, fact_ids(), contract_reasons())
    if problems:
        raise SystemExit("\n".join(problems))
    halves = split(messages)
    for name, path in HALVES.items():
        path.write_text(render(name, halves[name]), encoding="utf-8")
    written = {name: load(path) for name, path in HALVES.items()}
    by_id = {m["id"]: m for m in messages}
    for name, msgs in written.items():  # the rendered files must read back exactly
        if [m["id"] for m in msgs] != [m["id"] for m in halves[name]] or any(
            m != by_id[m["id"]] for m in msgs
        ):
            raise SystemExit(f"{name}.yml does not read back as written")
    check(written)
    COMBINED.unlink()
    print(summary(written))


if __name__ == "__main__":
    main(sys.argv[1:])
