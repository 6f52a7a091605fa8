"""How many SMS segments a message costs: GSM-7 or UCS-2 (3GPP TS 23.038).

A message whose every character is in the GSM-7 alphabet (with its extension table,
whose characters count twice) costs 160 characters for one segment and 153 a segment
when split; one character outside it (á, í, ó, ú, an emoji) makes the whole message
UCS-2: 70 characters for one segment, 67 a segment when split. é, ñ, ü, ¿ and ¡ are in
GSM-7; á, í, ó and ú are not. Plain Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The GSM 03.38 basic character set.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each costs two septets (an escape, then the character).
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
SINGLE = {"GSM-7": 160, "UCS-2": 70}
MULTI = {"GSM-7": 153, "UCS-2": 67}


@dataclass(frozen=True)
class Segments:
    """The encoding a message needs, its length in that encoding's units, its segments."""

    encoding: str
    units: int
    count: int


# Accented vowels outside GSM-7, as Spanish texters write them anyway.
_TO_GSM = str.maketrans("áíóúÁÍÓÚ", "aiouAIOU")


def gsm_friendly(text: str) -> str:
    """`text` with á í ó ú (not in GSM-7) written without their accent, so that a Spanish
    SMS stays GSM-7 (é, ñ, ü, ¿ and ¡ are kept: they are GSM-7)."""
    return text.translate(_TO_GSM)


def encoding_of(text: str) -> str:
    """"GSM-7" when every character is in the GSM-7 alphabet, else "UCS-2"."""
    return "GSM-7" if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text) else "UCS-2"


def segments(text: str) -> Segments:
    """The segments `text` costs as one SMS (Twilio concatenates longer ones)."""
    encoding = encoding_of(text)
    if encoding == "GSM-7":
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
    else:
        # UTF-16 code units: a character outside the basic plane (an emoji) counts twice.
        units = len(text.encode("utf-16-le")) // 2
    if units <= SINGLE[encoding]:
        return Segments(encoding, units, 1 if units else 0)
    return Segments(encoding, units, math.ceil(units / MULTI[encoding]))
