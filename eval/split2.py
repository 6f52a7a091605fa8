"""Split the second fresh sets (fresh2.yml, written after fresh.yml was spent) into halves.

Run once: for each of eval/answers, eval/safety and eval/es, reads fresh2.yml, splits its
entries stratified (answers: origin and whether the first question is covered; risk: the
expected reasons; Spanish: kind and urgency) with random.Random(20261203), writes dev2.yml
(tune on it) and heldout2.yml (measure only), each entry exactly as written, and deletes
fresh2.yml. It refuses to run when a half already exists: the split is never redone.

    python eval/split2.py
"""

import random
import re
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEED = 20261203
ENTRY = re.compile(r"^\s*- \{?id: ", re.MULTILINE)
NOTES = {
    "dev2": "# DEVELOPMENT half of fresh2 (split2.py, seed {seed}): tune on this one only.\n",
    "heldout2": "# HELD-OUT half of fresh2 (split2.py, seed {seed}): measure with it, never tune on it, never copy its messages.\n",
}


def stratum(folder: str, entry: dict) -> tuple:
    if folder == "answers":
        return (entry["origin"], "facts" in entry["questions"][0])
    if folder == "safety":
        return tuple(entry["expect_reasons"])
    return (entry["kind"], entry.get("expect_urgency"))


def split(folder: str) -> None:
    source = HERE / folder / "fresh2.yml"
    text = source.read_text(encoding="utf-8")
    starts = [m.start() for m in ENTRY.finditer(text)]
    header, chunks = text[: starts[0]], [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    key = header.strip().splitlines()[-1]  # "messages:" or "cases:"
    header = header[: header.rindex(key)]
    groups = defaultdict(list)
    for chunk in chunks:
        entry = yaml.safe_load(textwrap.dedent(chunk))[0]
        groups[stratum(folder, entry)].append((entry["id"], chunk))
    rng, halves, odd = random.Random(SEED), {"dev2": [], "heldout2": []}, 0
    for name in sorted(groups, key=str):
        members = sorted(groups[name])
        rng.shuffle(members)
        cut = len(members) // 2 + (len(members) % 2 and odd % 2 == 0)
        odd += len(members) % 2
        halves["dev2"] += members[:cut]
        halves["heldout2"] += members[cut:]
    for half, members in halves.items():
        body = "".join(chunk for _, chunk in sorted(members))
        out = header + NOTES[half].format(seed=SEED) + key + "\n" + body
        yaml.safe_load(out)
        (HERE / folder / f"{half}.yml").write_text(out, encoding="utf-8")
        print(f"{folder}/{half}.yml: {len(members)}")
    source.unlink()


def main() -> None:
    folders = ("answers", "safety", "es")
    if any((HERE / f / "dev2.yml").exists() or (HERE / f / "heldout2.yml").exists() for f in folders):
        sys.exit("a half already exists: the split is never redone")
    for folder in folders:
        split(folder)


if __name__ == "__main__":
    main()
