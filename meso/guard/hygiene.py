"""Hygiene for every message a channel receives, before Rasa sees it.

Shared by the REST, socket.io and SMS channels. `screen` either gives the text to
send to Rasa or the reply to give the sender at once (too long, empty, not text).

Rasa treats any message that starts with "/" as an intent with entities
("/emergency{...}" sets intent and slots directly). Only the exact payloads our own
buttons send pass as such; any other leading slashes are removed so the message is
understood as plain text.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Optional, Union

from meso.contract import MAX_METADATA_BYTES
from meso.text import clean_text

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
MAX_METADATA_DEPTH = 3
# Above this share of control or replacement characters a message is taken as binary.
BINARY_SHARE = 0.1
# The payloads our buttons send as commands (meso.content.answers, domain.yml). Topic buttons
# send a plain question instead ("How much does it cost?").
FIXED_PAYLOADS = frozenset({"/affirm", "/deny", "/request_callback"})

TOO_LONG_REPLY = (
    f"Sorry, that message is too long for me (the limit is {MAX_MESSAGE_CHARS} characters). "
    "Could you ask your question in a shorter message?"
)
EMPTY_REPLY = (
    "I didn't get any text in your message. "
    "Please type your question about mesotherapy, for example: How much does it cost?"
)


@dataclass(frozen=True)
class Inbound:
    """The outcome of screening one message: text for Rasa, or an immediate reply."""

    text: Optional[str] = None
    reply: Optional[str] = None
    reason: str = "ok"  # ok | too_long | empty | binary

    @property
    def accepted(self) -> bool:
        """Whether the message goes on to Rasa."""
        return self.text is not None


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    suspicious = sum(
        1
        for char in text
        if char == "\ufffd" or (unicodedata.category(char) == "Cc" and char not in "\n\r\t")
    )
    return suspicious > 0 and suspicious >= BINARY_SHARE * len(text)


def _decode(raw: Union[str, bytes, None, object]) -> Optional[str]:
    """The message as text, or None when it is not text at all."""
    if raw is None:
        return ""
    if isinstance(raw, bytes):
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if isinstance(raw, str):
        return raw
    return None  # numbers, lists, objects: not a message


def neutralise_command(text: str, allowed: FrozenSet[str]) -> str:
    """Keeps an exact button payload; removes the leading slashes of anything else."""
    if text in allowed:
        return text
    while text.startswith("/"):
        text = text.lstrip("/").strip()
    return text


def screen(
    raw: Union[str, bytes, None, object],
    allowed: FrozenSet[str] = FIXED_PAYLOADS,
    max_chars: int = MAX_MESSAGE_CHARS,
) -> Inbound:
    """Screens one incoming message.

    Args:
        raw: The message as the channel received it (text, bytes, or anything a JSON
            body may hold).
        allowed: Exact "/..." payloads that may reach Rasa as commands.
        max_chars: Longest message (after cleaning) sent on to Rasa.

    Returns:
        The text for Rasa, or the reply to give instead.
    """
    text = _decode(raw)
    if text is None or _looks_binary(text):
        return Inbound(reply=EMPTY_REPLY, reason="binary")
    text = clean_text(text).strip()
    if len(text) > max_chars:
        return Inbound(reply=TOO_LONG_REPLY, reason="too_long")
    text = neutralise_command(text, allowed)
    if not text:
        return Inbound(reply=EMPTY_REPLY, reason="empty")
    return Inbound(text=text)


def valid_sender(sender: object, max_chars: int) -> bool:
    """Whether a client-chosen conversation id is safe to store and show to staff.

    At most `max_chars`, not blank, and free of control, format (bidi, zero-width) and
    line-separator characters: refused rather than cleaned, so that two ids can never
    be made to look alike or fold into one.
    """
    if not isinstance(sender, str) or not 0 < len(sender) <= max_chars or not sender.strip():
        return False
    return all(unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Zl", "Zp") for char in sender)


def _clean_value(value: Any, depth: int) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return value
    if depth >= MAX_METADATA_DEPTH:
        return None
    if isinstance(value, list):
        return [_clean_value(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(key)): _clean_value(item, depth + 1) for key, item in value.items()}
    return None


def clean_metadata(raw: object, max_bytes: int = MAX_METADATA_BYTES) -> Optional[Dict[str, Any]]:
    """Client metadata as a small JSON object with every string cleaned, or None.

    Rasa stores it with the message; nothing here reads it. Objects nest at most
    MAX_METADATA_DEPTH levels (deeper values become null); over `max_bytes` as JSON
    it is dropped whole.
    """
    if not isinstance(raw, dict):
        return None
    cleaned = _clean_value(raw, 0)
    try:
        size = len(json.dumps(cleaned, allow_nan=False).encode("utf-8"))
    except ValueError:
        return None
    return cleaned if size <= max_bytes else None
