"""Every fact is grounded in the paragraph it cites (the article is in seeds/)."""

from __future__ import annotations

import re

import pytest

from meso.content.facts import load_facts
from meso.settings import PROJECT_ROOT

BOOK = load_facts(PROJECT_ROOT / "facts" / "facts.yml")
STOPWORDS = set("the a an and or of to in on for it is are be can with that this as by at from his her their its has have was were he she they you your not no".split())


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2}


def paragraphs(path: str) -> list[str]:
    text = (PROJECT_ROOT / path).read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


@pytest.mark.parametrize("fact", BOOK.facts, ids=lambda fact: fact.id)
def test_fact_cites_a_paragraph_that_says_it(fact) -> None:  # type: ignore[no-untyped-def]
    document = paragraphs("seeds/000_cbff0c822ce17951.txt")
    assert 1 <= fact.source.paragraph <= len(document)
    claimed = words(fact.web)
    overlap = [len(claimed & words(paragraph)) / len(claimed) for paragraph in document]
    cited = overlap[fact.source.paragraph - 1]
    assert cited >= 0.3, f"{fact.id}: only {cited:.0%} of its words appear in paragraph {fact.source.paragraph}"
    best = max(range(len(document)), key=overlap.__getitem__)
    assert cited == overlap[best], f"{fact.id}: paragraph {best + 1} matches it better than the cited one"
