"""Jinja2 environment for the console: autoescaping on, filters that make patient text inert.

Every piece of patient text goes through `inert` (control characters and bidi overrides
removed by `meso.text.clean_text`) and then Jinja's HTML autoescaping. Templates never
mark patient text `|safe`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import jinja2

from meso.notify.alerts import LANGUAGE_NAMES
from meso.text import clean_text
from staff.views import CHANNEL_LABELS, REASON_LABELS, URGENCY_LABELS

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
ELLIPSIS = "\u2026"


def inert(value: Any) -> str:
    """Untrusted text without control characters or bidi overrides (escaping follows)."""
    return clean_text(None if value is None else str(value))


def clip(value: Any, length: int = 160) -> str:
    """`inert` text cut to `length` characters with an ellipsis."""
    text = inert(value)
    return text if len(text) <= length else text[: max(0, length - 1)].rstrip() + ELLIPSIS


def when(value: Optional[datetime]) -> str:
    """A UTC timestamp as "2025-03-01 09:05 UTC"."""
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def make_environment() -> jinja2.Environment:
    """The template environment with autoescaping for every template."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        inert=inert,
        clip=clip,
        when=when,
        reason_label=lambda code: REASON_LABELS.get(code, inert(code)),
        urgency_label=lambda code: URGENCY_LABELS.get(code, inert(code)),
        channel_label=lambda code: CHANNEL_LABELS.get(code, inert(code)),
        language_label=lambda code: LANGUAGE_NAMES.get(code, "not known") if code else "not known",
    )
    return env
