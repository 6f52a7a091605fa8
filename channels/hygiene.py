"""The one call every chat channel makes before handing a message to Rasa."""

from __future__ import annotations

from channels.limits import escalate_kept_message
from meso.guard.hygiene import FIXED_PAYLOADS, Inbound, screen
from meso.guard.refusals import emergency_instruction
from meso.text import clean_text


def screen_message(raw: object) -> Inbound:
    """Screens `raw`, with our buttons' command payloads allowed.

    Text refused for its length or as binary never reaches Rasa, so it is risk-screened
    here: an emergency gets the 911 instruction instead of the usual request.
    """
    screened = screen(raw, FIXED_PAYLOADS)
    if screened.reason in ("too_long", "binary") and isinstance(raw, str):
        instruction = emergency_instruction(clean_text(raw))
        if instruction:
            return Inbound(reply=instruction, reason=f"{screened.reason}_emergency")
    return screened


async def screen_inbound(channel: str, sender: str, raw: object) -> Inbound:
    """`screen_message`, and staff hear of a risky message kept from Rasa (too long, binary)."""
    screened = screen_message(raw)
    if not screened.accepted and screened.reason != "empty" and isinstance(raw, str):
        await escalate_kept_message(channel, sender, clean_text(raw))
    return screened


def is_button_payload(text: str) -> bool:
    """Whether `text` is exactly one of our buttons' payloads."""
    return text in FIXED_PAYLOADS
