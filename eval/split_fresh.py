"""Split a round of fresh sets (freshN.yml, written after the previous round was spent) into halves.

Run once per round: for each of eval/answers, eval/safety and eval/es, reads freshN.yml,
splits its entries stratified (answers: origin and whether the first question is covered;
risk: the expected reasons; Spanish: kind and urgency) with the round's seed, writes devN.yml
(tune on it) and heldoutN.yml (measure only), each entry exactly as written, and deletes
freshN.yml. It refuses to run when a half of that round already exists: a split is never
redone. Round 2 was split with seed 20261203, round 3 with 20261204, round 4 with 20261205, round 5 with 20261206.

    python eval/split_fresh.py 3
"""

import random
import re
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
SEEDS = {2: 20261203, 3: 20261204, 4: 20261205, 5: 20261206}
ENTRY = re.compile(r"^\s*- \{?id: ", re.MULTILINE)
NOTES = {
    "dev": "# DEVELOPMENT half of fresh{round} (split_fresh.py, seed {seed}): tune on this one only.\n",
    "heldout": "# HELD-OUT half of fresh{round} (split_fresh.py, seed {seed}): measure with it, never tune on it, never copy its messages.\n",
}


def stratum(folder: str, entry: dict) -> tuple:
    if folder == "answers":
        return (entry["origin"], "facts" in entry["questions"][0])
    if folder == "safety":
        return tuple(entry["expect_reasons"])
    return (entry["kind"], entry.get("expect_urgency"))


def split(folder: str, round_: int) -> None:
    seed = SEEDS[round_]
    source = HERE / folder / f"fresh{round_}.yml"
    text = source.read_text(encoding="utf-8")
    starts = [m.start() for m in ENTRY.finditer(text)]
    header, chunks = text[: starts[0]], [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]
    key = header.strip().splitlines()[-1]  # "messages:" or "cases:"
    header = header[: header.rindex(key)]
    groups = defaultdict(list)
    for chunk in chunks:
        entry = yaml.safe_load(textwrap.dedent(chunk))[0]
        groups[stratum(folder, entry)].append((entry["id"], chunk))
    rng, halves, odd = random.Random(seed), {"dev": [], "heldout": []}, 0
    for name in sorted(groups, key=str):
        members = sorted(groups[name])
        rng.shuffle(members)
        cut = len(members) // 2 + (len(members) % 2 and odd % 2 == 0)
        odd += len(members) % 2
        halves["dev"] += members[:cut]
        halves["heldout"] += members[cut:]
    for half, members in halves.items():
        body = "".join(chunk for _, chunk in sorted(members))
        out = header + NOTES[half].format(round=round_, seed=seed) + key + "\n" + body
        yaml.safe_load(out)
        (HERE / folder / f"{half}{round_}.yml").write_text(out, encoding="utf-8")
        print(f"{folder}/{half}{round_}.yml: {len(members)}")
    source.unlink()


def main() -> None:
    round_ = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if round_ not in SEEDS:
        sys.exit(f"usage: split_fresh.py ROUND (one of {sorted(SEEDS)})")
    folders = ("answers", "safety", "es")
    if any((HERE / f / f"{half}{round_}.yml").exists() for f in folders for half in ("dev", "heldout")):
        sys.exit("a half already exists: the split is never redone")
    for folder in folders:
        split(folder, round_)


if __name__ == "__main__":
    main()
