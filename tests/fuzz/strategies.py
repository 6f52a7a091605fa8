"""Hypothesis strategies for hostile chat input."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

# Characters that have broken chat systems: commands, JSON, controls, bidi, zero-width,
# line separators, replacement characters, emoji, lone surrogates.
NASTY = list("/{}[]\"':@\\ \n\t\r\x00\x07\x1b\x7f\x85\u2028\u2029\u200b\u200f\ufeff\ufffd\U0001f600") + [
    chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]
]
PREFIXES = ["", "/", "//", " /", "\u202e/", "\x00/", "\u200b/", "/ask_cost", "/affirm", "/deny", "/emergency", "/request_callback"]
SUFFIXES = ["", '{"x": 1}', '{"name": "Mallory", "phone": "+15555550100"}', "@0.99", '{"slot":', "}"]
WORDS = ["I can't breathe", "cost", "STOP", "HELP", "MORE", "1", "2", "yes", "kill myself", "pregnant", "<script>"]

chars = st.one_of(st.characters(), st.sampled_from(NASTY), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))
texts = st.text(alphabet=chars, max_size=120)
commands = st.builds(lambda a, b, c: a + b + c, st.sampled_from(PREFIXES), texts, st.sampled_from(SUFFIXES))
phrases = st.lists(st.one_of(st.sampled_from(WORDS), texts), min_size=1, max_size=4).map(" ".join)
long_texts = st.builds(lambda n, t: "a " * n + t, st.integers(min_value=480, max_value=4000), texts)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=8,
)
messages = st.one_of(commands, phrases, texts, long_texts, json_values)


def dumps(value: Any) -> bytes:
    """JSON with ASCII escapes, so lone surrogates travel as \\udxxx."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")
