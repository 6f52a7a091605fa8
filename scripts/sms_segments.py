"""SMS segments per answer: each fact's SMS text in English and in Spanish.

A Spanish SMS should cost no more segments than the English one where possible
(meso/sms/segments.py: á í ó ú force UCS-2, 70 characters a segment). Prints one line per
fact and the totals, writes results/sms_segments.json; exit 1 when a Spanish text costs
more segments than its English one.

Usage: .venv/bin/python scripts/sms_segments.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meso.content.facts import load_facts  # noqa: E402
from meso.content.spanish import SPANISH_FILE, load_spanish  # noqa: E402
from meso.sms.segments import segments  # noqa: E402

OUTPUT = ROOT / "results" / "sms_segments.json"


def main() -> int:
    english = load_facts(ROOT / "facts" / "facts.yml")
    spanish = load_spanish(ROOT / "facts" / SPANISH_FILE, english)
    rows = []
    for fact in english.facts:
        es = spanish.get(fact.id)
        en_seg = segments(fact.sms)
        es_seg = segments(es.sms) if es is not None and fact.id not in spanish.untranslated else None
        rows.append(
            {
                "fact": fact.id,
                "en": {"chars": len(fact.sms), "encoding": en_seg.encoding, "segments": en_seg.count},
                "es": None if es_seg is None else {"chars": len(es.sms), "encoding": es_seg.encoding, "segments": es_seg.count},  # type: ignore[union-attr]
            }
        )
    print(f"{'fact':<28} {'en':>10} {'es':>16}")
    for row in rows:
        es_text = "untranslated" if row["es"] is None else f"{row['es']['segments']} {row['es']['encoding']} ({row['es']['chars']})"
        print(f"{row['fact']:<28} {row['en']['segments']} {row['en']['encoding']} ({row['en']['chars']:>3})  {es_text}")
    translated = [row for row in rows if row["es"]]
    costlier = [row["fact"] for row in translated if row["es"]["segments"] > row["en"]["segments"]]
    summary = {
        "facts": len(rows),
        "translated": len(translated),
        "en_segments": sum(row["en"]["segments"] for row in translated),
        "es_segments": sum(row["es"]["segments"] for row in translated),
        "es_ucs2": [row["fact"] for row in translated if row["es"]["encoding"] == "UCS-2"],
        "es_costlier": costlier,
    }
    print(
        f"translated {summary['translated']}/{summary['facts']}; segments en {summary['en_segments']}, "
        f"es {summary['es_segments']}; Spanish UCS-2: {len(summary['es_ucs2'])}; costlier in Spanish: {costlier or 'none'}"
    )
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({"summary": summary, "facts": rows}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 1 if costlier else 0


if __name__ == "__main__":
    raise SystemExit(main())
