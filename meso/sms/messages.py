"""SMS shaping and keywords: pure logic, no Rasa, no database.

A turn's replies become SMS messages of at most 320 characters, split at sentence
boundaries (then words), at most three a turn; the rest waits behind "Reply MORE for
the rest.". Buttons become numbered options ("Reply 1 for Yes, 2 for No."), and their
payloads never reach the phone. Twilio's opt-out keywords are recognised here; the
channel (`channels.sms`) keeps the state and answers them.

Over 300 lines on purpose: segmenting, buttons and keywords shape one SMS turn and are tested together.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple
from xml.sax.saxutils import escape

from meso.content.clinic import Clinic
from meso.content.phrases import say
from meso.contract import SMS_MAX_CHARS
from meso.contract import SMS_MESSAGES_PER_TURN as MESSAGES_PER_TURN
from meso.language import reply_language
from meso.replies import Button
from meso.sms.segments import gsm_friendly
from meso.text import clean_text

MORE_SUFFIX = "Reply MORE for the rest."
# Replies that must lead the turn, whatever order they arrive in.
URGENT_MARKER = re.compile(r"\b911\b")

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_NUMBER_PICK = re.compile(r"^\s*#?(\d{1,2})[.)]?\s*$")


class Keyword(Enum):
    """Whole-message keywords handled by the SMS channel itself."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    MORE = "more"


KEYWORDS: Mapping[str, Keyword] = {
    **{word: Keyword.STOP for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")},
    **{word: Keyword.START for word in ("START", "UNSTOP")},
    **{word: Keyword.HELP for word in ("HELP", "INFO")},
    "MORE": Keyword.MORE,
}
# Spanish keywords (Twilio's built-in ones are English only); matched without accents.
SPANISH_KEYWORDS: Mapping[str, Keyword] = {
    **{word: Keyword.STOP for word in ("ALTO", "PARAR", "PARA", "CANCELAR", "BAJA", "DETENER", "DETENTE")},
    **{word: Keyword.START for word in ("INICIAR", "COMENZAR", "REANUDAR", "ALTA")},
    **{word: Keyword.HELP for word in ("AYUDA",)},
    "MAS": Keyword.MORE,
}
# Twilio also treats YES as opting back in; only while opted out, since otherwise it
# is an answer to a question.
OPT_IN_WHILE_OPTED_OUT = frozenset({"YES"})


def _plain_word(body: str) -> str:
    decomposed = unicodedata.normalize("NFD", body.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()


def keyword(body: str) -> Optional[Keyword]:
    """The keyword the whole message is (case-insensitive, surrounding space ignored,
    English or Spanish, accents optional: "MÁS" is "MAS")."""
    word = _plain_word(body)
    return KEYWORDS.get(word) or SPANISH_KEYWORDS.get(word)


def keyword_language(body: str) -> Optional[str]:
    """"es" for a Spanish keyword, "en" for an English one, None for anything else."""
    word = _plain_word(body)
    if word in SPANISH_KEYWORDS:
        return "es"
    return "en" if word in KEYWORDS else None


def is_opt_in(body: str, opted_out: bool) -> bool:
    """Whether `body` re-subscribes a number (START, UNSTOP; YES while opted out)."""
    word = body.strip().upper()
    return keyword(word) is Keyword.START or (opted_out and word in OPT_IN_WHILE_OPTED_OUT)


def is_e164(number: str) -> bool:
    """Whether `number` is an E.164 phone number such as +18185550100."""
    return bool(_E164.match(number or ""))


def phone_hash(number: str) -> str:
    """A short, stable tag for a phone number, for logs (never the number itself)."""
    return hashlib.sha256(number.encode("utf-8")).hexdigest()[:10]


# --- replies for keywords ------------------------------------------------------------


def stop_reply(clinic: Clinic, language: str = "en") -> str:
    """The one confirmation sent after an opt-out."""
    if language == "es":
        return (
            f"Canceló los mensajes del asistente de {clinic.display_name}; no recibirá más. "
            "Responda INICIAR para volver a suscribirse."
        )
    return (
        f"You're unsubscribed from {clinic.display_name}'s assistant and will get no more "
        "messages. Reply START to subscribe again."
    )


def start_reply(clinic: Clinic, language: str = "en") -> str:
    """The confirmation of an opt-in."""
    if language == "es":
        return (
            f"Está suscrito de nuevo al asistente de {clinic.display_name}. Pregúnteme sobre la "
            "mesoterapia. Responda AYUDA para ayuda, ALTO para cancelar."
        )
    return (
        f"You're subscribed to {clinic.display_name}'s assistant again. "
        "Ask me about mesotherapy. Reply HELP for help, STOP to opt out."
    )


def help_reply(clinic: Clinic, language: str = "en") -> str:
    """HELP/INFO (AYUDA): who we are, what this is, how to reach staff and how to opt out."""
    if language == "es":
        return _fit(
            f"{clinic.display_name}: respuestas automáticas sobre la mesoterapia con información "
            f"que la clínica revisó. No es para emergencias: llame al 911. {clinic.contact_sentence('es')} "
            "Responda ALTO para cancelar."
        )
    return _fit(
        f"{clinic.display_name}: automated answers about mesotherapy from information the "
        f"clinic has reviewed. Not for emergencies: call 911. {clinic.contact_sentence()} "
        "Reply STOP to opt out."
    )


def _fit(text: str, limit: int = SMS_MAX_CHARS) -> str:
    return text if len(text) <= limit else split_text(text, limit)[0]


# --- splitting -------------------------------------------------------------------------


def _words(text: str, limit: int) -> List[str]:
    """Cuts text longer than `limit` at word boundaries (hard cut for a giant word)."""
    pieces: List[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces


def sentences(text: str, limit: int = SMS_MAX_CHARS) -> List[str]:
    """The sentences of `text`, each cut at words when longer than `limit`."""
    units: List[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in _SENTENCE_END.split(" ".join(paragraph.split())):
            sentence = sentence.strip()
            if sentence:
                units.extend(_words(sentence, limit) if len(sentence) > limit else [sentence])
    return units


def _pack(units: Sequence[str], limit: int) -> Tuple[str, int]:
    """Packs the leading units into one message of at most `limit`; returns it and the count."""
    message, used = "", 0
    for unit in units:
        candidate = f"{message} {unit}" if message else unit
        if len(candidate) > limit:
            break
        message, used = candidate, used + 1
    return message, used


def split_text(text: str, limit: int = SMS_MAX_CHARS) -> List[str]:
    """Splits `text` into messages of at most `limit`, at sentence then word boundaries."""
    units = sentences(text, limit)
    messages: List[str] = []
    while units:
        message, used = _pack(units, limit)
        messages.append(message)
        units = units[used:]
    return messages


def paginate(
    units: Sequence[str],
    limit: int = SMS_MAX_CHARS,
    per_page: int = MESSAGES_PER_TURN,
    more: str = MORE_SUFFIX,
) -> List[List[str]]:
    """Groups units into pages of at most `per_page` messages of at most `limit`.

    Every page but the last ends with `more`, within the limit. Units are kept in
    order, so the first unit always starts the first message.
    """
    reserve = len(more) + 1
    units = [piece for unit in units for piece in (_words(unit, limit - reserve) if len(unit) > limit - reserve else [unit])]
    pages: List[List[str]] = []
    while units:
        page: List[str] = []
        while units and len(page) < per_page:
            if len(page) == per_page - 1:
                message, used = _pack(units, limit)
                if used < len(units):  # more to come: leave room for the suffix
                    message, used = _pack(units, limit - reserve)
                    message = f"{message} {more}"
            else:
                message, used = _pack(units, limit)
            page.append(message)
            units = units[used:]
        pages.append(page)
    return pages


# --- a turn ----------------------------------------------------------------------------


def options_text(options: Sequence[Button], language: str = "en") -> str:
    """"Reply 1 for Yes, 2 for No." (Spanish: "Responda 1 para Sí, 2 para No.")."""
    word, reply = ("para", "Responda") if language == "es" else ("for", "Reply")
    parts = [f"{number} {word} {clean_text(option.title).strip()}" for number, option in enumerate(options, 1)]
    return f"{reply} {', '.join(parts)}."


@dataclass(frozen=True)
class Turn:
    """What one inbound SMS gets: messages now, pages for MORE, options for numbers."""

    messages: List[str]
    pending: List[List[str]] = field(default_factory=list)
    options: List[Button] = field(default_factory=list)


def _buttons(message: Mapping[str, Any]) -> List[Button]:
    buttons = []
    for raw in message.get("buttons") or message.get("quick_replies") or []:
        if isinstance(raw, Mapping) and raw.get("title") and raw.get("payload"):
            buttons.append(Button(str(raw["title"]), str(raw["payload"])))
    return buttons


def to_sms_segments(bot_messages: Iterable[Mapping[str, Any]], language: Optional[str] = None) -> Turn:
    """Turns Rasa's replies for one turn into SMS pages and numbered options.

    Replies mentioning 911 go first (Rasa already sends them first; this keeps it
    so). Only the text and the button titles are sent: payloads, images and custom
    JSON never reach the phone. The options are those of the last reply with buttons.

    Args:
        bot_messages: Rasa's collected output, e.g. {"text": ..., "buttons": [...]}.
        language: the conversation's language; when None, read from the replies
            themselves (they are in the conversation's language).

    Returns:
        The first page to send now, the later pages, and the options to remember.
    """
    texts: List[str] = []
    options: List[Button] = []
    for message in bot_messages:
        text = clean_text(str(message.get("text") or "")).strip()
        if text:
            texts.append(text)
        buttons = _buttons(message)
        if buttons:
            options = buttons
    texts.sort(key=lambda text: 0 if URGENT_MARKER.search(text) else 1)  # stable
    if language is None:
        language = reply_language(" ".join(texts))
    if language == "es":  # á í ó ú would make each SMS UCS-2 (70 characters a segment)
        texts = [gsm_friendly(text) for text in texts]
    units = [unit for text in texts for unit in sentences(text)]
    if options:
        choices = options_text(options, language)
        units.append(gsm_friendly(choices) if language == "es" else choices)
    pages = paginate(units, more=say("more_suffix", language))
    if not pages:
        return Turn(messages=[], options=options)
    return Turn(messages=pages[0], pending=pages[1:], options=options)


def with_welcome(bot_messages: Sequence[Mapping[str, Any]], welcome: str) -> List[Mapping[str, Any]]:
    """A new number's turn: the welcome first, unless the reply is an emergency (then after it)."""
    urgent = any(URGENT_MARKER.search(str(message.get("text") or "")) for message in bot_messages)
    greeting = {"text": welcome}
    return [*bot_messages, greeting] if urgent else [greeting, *bot_messages]


def pick_option(body: str, options: Sequence[Button]) -> Optional[Button]:
    """The option a reply of just its number ("1", "2.") chooses, if any."""
    match = _NUMBER_PICK.match(body)
    if not match or not options:
        return None
    number = int(match.group(1))
    return options[number - 1] if 1 <= number <= len(options) else None


# --- TwiML -----------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def twiml(messages: Sequence[str]) -> str:
    """A TwiML response sending each message as its own SMS (none: an empty response)."""
    body = "".join(f"<Message>{escape(_XML_INVALID.sub('', text))}</Message>" for text in messages)
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'
