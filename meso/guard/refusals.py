"""Replies to messages kept from Rasa (over a rate limit or the length cap).

Such a message is risk-screened here with the same pure screen (`meso.safety.screen`): an
emergency or crisis still gets the domain's 911 (and 988) instruction word for word, in
the message's language (English, or Spanish when it reads as Spanish). Otherwise a message
over the rate limit gets a polite wait, which itself says to call 911 in an emergency; so
does any failure of the screen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional

import yaml

from meso.language import detect, reply_language
from meso.safety.screen import Screening, get_risk_screen
from meso.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

# The screen takes about 18 ms per 1000 characters: a long message is screened by its
# first and last SCREEN_EDGE characters, so no message costs more than ~40 ms.
SCREEN_EDGE = 1000
LIMITED_REPLY = (
    "You're sending messages faster than I can answer. Please wait a minute, then send "
    "your question again. If this is an emergency, call 911 now."
)
LIMITED_REPLIES = {
    "en": LIMITED_REPLY,
    "es": (
        "Está enviando mensajes más rápido de lo que puedo contestar. Espere un minuto y vuelva "
        "a enviar su pregunta. Si es una emergencia, llame al 911 ahora."
    ),
}
# Used only if domain.yml cannot be read; kept equal to its responses by a test.
FALLBACK_RESPONSES = {
    "utter_emergency": "Please call 911 now. This could be a medical emergency; don't wait for a reply here.",
    "utter_crisis": (
        "Please call 911 now if you are in danger, or call or text 988 (Suicide & Crisis Lifeline) "
        "to talk to someone right away. You are not alone."
    ),
}
FALLBACK_RESPONSES_ES = {
    "utter_emergency": "Llame al 911 ahora. Esto puede ser una emergencia médica; no espere una respuesta aquí.",
    "utter_crisis": (
        "Llame al 911 ahora si está en peligro. También puede llamar al 988 y marcar 2 para hablar en "
        "español, o enviar AYUDA por texto al 988 (Línea 988 de Prevención del Suicidio y Crisis). "
        "No está sola ni solo."
    ),
}
FALLBACKS = {"en": FALLBACK_RESPONSES, "es": FALLBACK_RESPONSES_ES}


def variation(variations: List[Dict[str, Any]], language: str) -> str:
    """The text of a domain response for `language`: the variation whose condition is the
    `language` slot at that value, or for English the one without a condition."""
    for item in variations:
        conditions = item.get("condition") or []
        if language == "en" and not conditions:
            return str(item["text"])
        if any(c.get("name") == "language" and c.get("value") == language for c in conditions):
            return str(item["text"])
    raise KeyError(language)


@dataclass(frozen=True)
class LimitedReply:
    """The reply to a refused message; `urgent` when it is the emergency instruction."""

    text: str
    urgent: bool = False


@lru_cache(maxsize=2)
def domain_responses(language: str = "en") -> Dict[str, str]:
    """The emergency and crisis texts of domain.yml in one language (the fallbacks if it
    is unreadable)."""
    fallback = FALLBACKS.get(language, FALLBACK_RESPONSES)
    try:
        domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
        responses = domain["responses"]
        return {name: variation(responses[name], language) for name in fallback}
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError, AttributeError) as exc:
        logger.error("Cannot read the emergency responses of domain.yml (%s).", type(exc).__name__)
        return dict(fallback)


def screen_kept(text: Optional[str], screen: Optional[Callable[[str], Screening]] = None) -> Optional[Screening]:
    """Screens a message kept from Rasa; None when it has no text or the screen failed.

    A long message is screened by its first and last SCREEN_EDGE characters.
    """
    if not text:
        return None
    if len(text) > 2 * SCREEN_EDGE:
        text = f"{text[:SCREEN_EDGE]}\n{text[-SCREEN_EDGE:]}"
    try:
        return (screen or get_risk_screen().screen)(text)
    except Exception as exc:  # noqa: BLE001 - callers' replies already say "call 911"
        logger.error("Risk screen failed on a message kept from Rasa (%s).", type(exc).__name__)
        return None


def instruction_for(screening: Optional[Screening], language: str = "en") -> Optional[str]:
    """The domain's crisis or emergency text when the screening needs it, else None."""
    if screening is not None and screening.is_crisis:
        return domain_responses(language)["utter_crisis"]
    if screening is not None and screening.is_emergency:
        return domain_responses(language)["utter_emergency"]
    return None


def emergency_instruction(text: Optional[str], screen: Optional[Callable[[str], Screening]] = None) -> Optional[str]:
    """The domain's crisis or emergency text when `text` needs it, else None.

    For messages that do not reach Rasa (over a rate limit, over the length cap).

    Args:
        text: The message, already cleaned (None or "" when it had no text).
        screen: The risk screen; the process-wide `meso.safety.screen` screen when None.
    """
    screening = screen_kept(text, screen)
    return instruction_for(screening, language_for(text, screening))


def language_for(text: Optional[str], screening: Optional[Screening]) -> str:
    """The reply's language: the message's, or for an emergency too short to read, the
    language whose terms alone found it ("me ahogo")."""
    language = reply_language(text)
    if screening is not None and screening.is_emergency and language == "en" and text:
        found = {f.language for f in screening.findings if f.urgency == "emergency"}
        if found == {"es"} and detect(text).probability < 0.9:
            return "es"
    return language


def reply_for(screening: Optional[Screening], language: str = "en") -> LimitedReply:
    """The reply to a message refused by a rate limit, given its screening and language."""
    instruction = instruction_for(screening, language)
    if instruction:
        return LimitedReply(instruction, urgent=True)
    return LimitedReply(LIMITED_REPLIES.get(language, LIMITED_REPLY))


def limited_reply(text: Optional[str], screen: Optional[Callable[[str], Screening]] = None) -> LimitedReply:
    """The reply to a message refused by a rate limit (`text` cleaned, or None)."""
    screening = screen_kept(text, screen)
    return reply_for(screening, language_for(text, screening))
