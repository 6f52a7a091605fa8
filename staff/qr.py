"""The enrolment QR code, drawn here (segno, pure Python) and sent inline as an SVG data URI.

No third-party service ever sees the key, and the CSP's `img-src 'self' data:` allows it
without any script.
"""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    """A data: URI of an SVG QR code for `text` (error correction M, 4-module quiet zone)."""
    return segno.make(text, error="m", micro=False).svg_data_uri(scale=5, border=4)
