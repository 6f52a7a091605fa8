"""Splits a patient's message into the questions it asks.

"How long does a session take and does it hurt?" holds two questions; a
classifier that sees the whole message picks one. The NLU component
`components.clause_intents` classifies each clause this module finds.
"""

from __future__ import annotations

import re
from typing import List, Tuple

# Words that open a new question after "and", "also", "but", "plus" or a comma.
_QUESTION_OPENERS = (
    "how|what|whats|what's|when|where|which|who|why|is|are|was|were|does|do|did|can|could|"
    "will|would|should|shall|am|any|anything|tell|also|hw|wat|whats"
)
# Spanish: words that open a question after "y", "pero", "tambien" ("q tan grandes son
# las agujas y si quedan moretones"); after a comma only those that are not English words.
_SPANISH_OPENERS_AFTER_COMMA = (
    r"qu[eé]|q|c[oó]mo|cu[aá]nt[oa]s?|cu[aá]ndo|d[oó]nde|qui[eé]n|cu[aá]l|hay|puedo|tienen|aceptan|"
    r"necesito|duele|sirve|cuesta|quedan|dejan|me\s+puedo|me\s+pueden|se\s+puede|se\s+pueden|me\s+la|me\s+lo"
)
_SPANISH_OPENERS = rf"{_SPANISH_OPENERS_AFTER_COMMA}|si|se|es|son|me|tiene|hacen|ustedes|la|el|los|las|pa|pal|para"
_BOUNDARY = re.compile(
    r"[?!;]+\s*"  # sentence ends a question or a statement
    r"|:\s+|\s+[-\u2013\u2014]+\s+"  # "few qs: how long ...", "2 more things - do i ..."
    r"|(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)\.(?:\s+|$)"  # a full stop (not "3.5", "Dr. X")
    rf"|(?:,\s*|\s+)(?:and|also|but|plus|n|&)\s+(?=(?:{_QUESTION_OPENERS})\b)"
    rf"|,\s*(?=(?:{_QUESTION_OPENERS})\b)"
    rf"|(?:,\s*|\s+)(?:y|e|pero|tambi[eé]n|adem[aá]s|y\s+(?:tambi[eé]n|tmb|tb)|y\s+otra\s+cosa,?)\s+(?=(?:{_SPANISH_OPENERS})\b)"
    rf"|,\s*(?=(?:{_SPANISH_OPENERS_AFTER_COMMA})\b)",
    re.IGNORECASE,
)
MIN_CLAUSE_WORDS = 2
# A tag that asks whether the clause before it is true ("invented in France, is that
# right?") belongs to that clause: on its own it asks nothing.
_CONFIRMATION_TAG = re.compile(
    r"^(?:(?:is|isn'?t)\s+(?:that|it|this)\s+(?:right|true|correct|so)|(?:right|true|correct|really)"
    r"|(?:es|eso\s+es)\s+(?:cierto|verdad)|(?:cierto|verdad|neta))\W*$",
    re.IGNORECASE,
)


def clause_spans(text: str) -> List[Tuple[int, int]]:
    """(start, end) offsets of each clause of `text` with at least two words.

    A message with a single clause gives one span covering it.
    """
    spans: List[Tuple[int, int]] = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        spans.append((start, boundary.start()))
        start = boundary.end()
    spans.append((start, len(text)))
    merged: List[Tuple[int, int]] = []
    for begin, end in spans:
        if merged and _CONFIRMATION_TAG.match(text[begin:end].strip()):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((begin, end))
    return [
        (begin + _leading_space(text[begin:end]), end - _trailing_space(text[begin:end]))
        for begin, end in merged
        if len(text[begin:end].split()) >= MIN_CLAUSE_WORDS or text[end:end + 1] == "?"
    ]


def _leading_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _trailing_space(text: str) -> int:
    return len(text) - len(text.rstrip())
