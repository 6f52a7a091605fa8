"""What the assistant says, and the one place that shapes it for a channel.

Actions build a `Reply`; `render` turns it into what the channel shows. The web
gets the full text, its source and buttons; SMS gets the short text and keeps the
buttons for the SMS channel to number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

SMS_CHANNELS = frozenset({"sms"})


@dataclass(frozen=True)
class Button:
    """A choice the patient can tap (web) or answer by number (SMS)."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One assistant message, with its short SMS form and its sources."""

    text: str
    sms: Optional[str] = None
    sources: Tuple[str, ...] = ()
    buttons: Tuple[Button, ...] = field(default_factory=tuple)


def is_sms(channel: Optional[str]) -> bool:
    """Whether replies on this input channel must be short plain text."""
    return (channel or "") in SMS_CHANNELS


def render(reply: Reply, channel: Optional[str]) -> Dict[str, Any]:
    """Keyword arguments for `dispatcher.utter_message` on `channel`."""
    if is_sms(channel):
        text = reply.sms or reply.text
    else:
        text = "\n\n".join([reply.text, *reply.sources]) if reply.sources else reply.text
    message: Dict[str, Any] = {"text": text}
    if reply.buttons:
        message["buttons"] = [
            {"title": button.title, "payload": button.payload} for button in reply.buttons
        ]
    return message


def join(replies: List[Reply]) -> Reply:
    """Merges several replies into one message (used for multi-topic answers)."""
    sources: List[str] = []
    for reply in replies:
        sources.extend(s for s in reply.sources if s not in sources)
    return Reply(
        text="\n\n".join(r.text for r in replies),
        sms=" ".join(r.sms or r.text for r in replies),
        sources=tuple(sources),
        buttons=tuple(b for r in replies for b in r.buttons),
    )
