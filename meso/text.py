"""Cleaning of untrusted text before it is stored or shown to staff.

Escaping for HTML is the console's job; this only removes characters that can hide or
reorder what a reader sees (control characters, bidi overrides) or that cannot be stored
(lone surrogates).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional

# Bidi embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069): they can make
# text display in a different order from how it is stored ("Trojan Source").
BIDI_CONTROLS = frozenset(chr(code) for code in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])

_NEWLINES = re.compile(r"\r\n?|[\u0085\u2028\u2029]")
_KEPT_CONTROLS = frozenset("\n\t")


def _dropped(char: str) -> bool:
    if char in _KEPT_CONTROLS:
        return False
    if char in BIDI_CONTROLS:
        return True
    # Cc: C0/C1 controls and DEL; Cs: lone surrogates (not encodable as UTF-8).
    return unicodedata.category(char) in ("Cc", "Cs")


def clean_text(text: Optional[str], max_len: Optional[int] = None) -> str:
    """Returns `text` safe to store: NFC, newlines unified, controls and bidi overrides removed.

    Newlines and tabs are kept; every other control character, bidi embedding, override
    and isolate is removed. Leading and trailing whitespace is left to the caller.

    Args:
        text: Untrusted text; None gives "".
        max_len: When set, the result is cut to at most this many characters.

    Returns:
        The cleaned text.
    """
    if not text:
        return ""
    text = _NEWLINES.sub("\n", unicodedata.normalize("NFC", str(text)))
    cleaned = "".join(char for char in text if not _dropped(char))
    if max_len is not None:
        cleaned = cleaned[: max(max_len, 0)]
    return cleaned
