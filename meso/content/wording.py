"""The form of a question that matching compares: lower case, no accents, SMS
shorthand spelled out, punctuation gone.

Patients type "hw much r the shots" as often as "How much are the injections?";
both must land on the same fact. Only shorthand that cannot mean anything else in a
question is expanded ("u", "ur", "pls"), and words that carry the question ("how",
"long", "not") are kept.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Dict

SHORTHAND: Dict[str, str] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "youre": "you are",
    "r": "are",
    "hw": "how",
    "hows": "how is",
    "wat": "what",
    "wut": "what",
    "whats": "what is",
    "wats": "what is",
    "pls": "please",
    "plz": "please",
    "thx": "thanks",
    "b4": "before",
    "bc": "because",
    "cuz": "because",
    "w": "with",
    "wo": "without",
    "im": "i am",
    "ive": "i have",
    "dont": "do not",
    "doesnt": "does not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "abt": "about",
    "yr": "year",
    "yrs": "years",
    "yo": "year old",
    "wk": "week",
    "wks": "weeks",
    "hrs": "hours",
    "hr": "hour",
    "mins": "minutes",
    "min": "minutes",
    "appt": "appointment",
    "dr": "doctor",
    "doc": "doctor",
    "meso": "mesotherapy",
    "lipo": "liposuction",
    "$": "cost",
    "$$": "cost",
    "$$$": "cost",
    "tx": "treatment",
    "txs": "treatments",
    "shots": "injections",
    "shot": "injection",
    "jabs": "injections",
    "jab": "injection",
    "needle": "needles",
    "mesotherapies": "mesotherapy",
    "mesoterapy": "mesotherapy",
    "mesotheraphy": "mesotherapy",
    "mesotherepy": "mesotherapy",
    "mezotherapy": "mesotherapy",
}

_APOSTROPHES = re.compile(r"[\u2018\u2019\u02bc`´]")
_CONTRACTION = re.compile(r"(\w)'(s|t|re|ve|ll|d|m)\b")
_TOKEN = re.compile(r"\$+|[a-z0-9]+(?:\.[0-9]+)?")


def strip_accents(text: str) -> str:
    """`text` without combining accents ("sesión" -> "sesion")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def matching_form(text: str) -> str:
    """The words of `text` as matching compares them, joined by single spaces."""
    text = strip_accents(_APOSTROPHES.sub("'", text or "").lower())
    text = _CONTRACTION.sub(r"\1\2", text)  # "what's" -> "whats", then expanded below
    words = []
    for token in _TOKEN.findall(text):
        words.append(SHORTHAND.get(token, token))
    return " ".join(words)
