"""The one call every chat channel makes before handing a message to Rasa."""

from __future__ import annotations

from meso.facts import default_facts_path
from meso.inbound import Inbound, allowed_payloads, screen


def screen_message(raw: object) -> Inbound:
    """Screens `raw` with the button payloads of the current facts file allowed."""
    return screen(raw, allowed_payloads(default_facts_path()))


def is_button_payload(text: str) -> bool:
    """Whether `text` is exactly one of our buttons' payloads."""
    return text in allowed_payloads(default_facts_path())
