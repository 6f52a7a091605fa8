"""Shared assertions and messages of the hostile-input tests."""

from __future__ import annotations

import unicodedata

from meso.text import BIDI_CONTROLS

# An emergency wrapped in a terminal escape, a bell, bidi overrides and isolates.
DIRTY_EMERGENCY = "I can't\u202e breathe\x1b[31m and my\u2066 throat\x07 is swelling\u202c\u2069"
# NUL makes a message binary: it never reaches Rasa, but an emergency is still answered.
BINARY_EMERGENCY = "\x00\x01\x02 I can't breathe \x03\x04"
OVERRIDE_TRICK = "my invoice \u202egnp.exe\u202c is wrong"


def is_clean(text: str) -> bool:
    """No control character (but newline and tab), bidi control or lone surrogate."""
    return not any(
        char in BIDI_CONTROLS or (unicodedata.category(char) in ("Cc", "Cs") and char not in "\n\t") for char in text
    )
