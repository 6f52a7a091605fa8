"""The language of a patient's message: English or Spanish, and how sure we are.

An offline identifier (py3langid, whose model ships inside its package) restricted to
English and Spanish reads each message. Short messages are unreliable ("no", "ok",
"si"), so a conversation changes language only on a confident detection or on the
patient's explicit choice ("en español", "in English please"). Plain Python.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any, Optional

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
# A detection counts only above this probability and with at least this many words.
CONFIDENT_PROBABILITY = 0.9
MIN_WORDS = 3

# Whole messages that say which language the patient wants.
_CHOICE = {
    "es": re.compile(
        r"^\W*(?:(?:en|in)\s+)?(?:espanol|spanish)(?:\s+(?:por\s+favor|porfa|please|pls|plis))?\W*$"
        # "hableme en español" is a choice; "¿hablan español?" asks about the staff.
        r"|\b(?:hablame|hableme|escribame|escribeme|contestame|contesteme|respondame|respondeme|prefiero|sigamos)"
        r"\s+(?:\w+\s+)?(?:en\s+)?espanol\b"
        r"|\b(?:in|en)\s+spanish\s+please\b|\bspanish\s+please\b",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"^\W*(?:(?:in|en)\s+)?(?:english|ingles)(?:\s+(?:please|pls|por\s+favor|porfa))?\W*$"
        r"|\b(?:in\s+english\s+please|english\s+please|en\s+ingles\s+por\s+favor|i\s+prefer\s+english"
        r"|can\s+we\s+(?:speak|talk|continue)\s+in\s+english|hableme\s+en\s+ingles)\b",
        re.IGNORECASE,
    ),
}
# Short greetings that are Spanish only ("hola" is not an English word).
_SPANISH_GREETINGS = re.compile(
    r"^\W*(?:hola|ola|holi|buenas|buenos\s+dias|buen\s+dia|buenas\s+tardes|buenas\s+noches|muchas\s+gracias|gracias)"
    r"(?:\s+(?:buenas|buenos\s+dias|buenas\s+tardes|buenas\s+noches|doctor|doctora|senorita|senora))?\W*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Detection:
    """What one message says about its language.

    Attributes:
        language: "en" or "es": the identifier's best guess.
        probability: its probability, between 0.5 and 1.
        confident: True when the conversation may switch to `language`.
        chosen: True when the patient asked for the language in so many words.
    """

    language: str
    probability: float
    confident: bool
    chosen: bool = False


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().strip()


def choice(text: str) -> Optional[str]:
    """The language the patient asks for in this message, if any."""
    plain = _plain(text)
    for language, pattern in _CHOICE.items():
        if pattern.search(plain):
            return language
    return None


# Words only one of the two languages uses, for messages too short for the identifier.
_SPANISH_CUES = frozenset(
    """que q es el la los las del de me se te le lo mi mis su sus tu un una y o pero por para pa con sin
    como cuanto cuanta cuantos cuantas cuando donde quien cual porque xq puedo puede pueden tengo tiene
    tienen hay son estoy esta sirve duele cuesta dura hacen van voy hacer quiero necesito despues antes
    tambien muy mas si ya eso esto usted ustedes hola gracias""".split()
)
_ENGLISH_CUES = frozenset(
    """the is it its do does did can could will would i you my your me how what when where who which why
    and or but of to for with without a an are was were have has had am be this that there here please
    thanks hi hello yes""".split()
)

_identifier: Any = None
_lock = threading.Lock()


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier


def detect(text: str) -> Detection:
    """Reads the language of one message.

    Args:
        text: the raw message.

    Returns:
        The detection; `confident` only for an explicit choice, a Spanish-only greeting,
        or at least MIN_WORDS words read with CONFIDENT_PROBABILITY.
    """
    chosen = choice(text)
    if chosen:
        return Detection(chosen, 1.0, True, chosen=True)
    plain = _plain(text)
    if _SPANISH_GREETINGS.match(plain):
        return Detection("es", 1.0, True)
    words = re.findall(r"[^\W\d_]+", plain)
    if not words:
        return Detection(DEFAULT_LANGUAGE, 0.5, False)
    language, probability = _get_identifier().classify(text)
    probability = float(probability)
    confident = probability >= CONFIDENT_PROBABILITY and len(words) >= MIN_WORDS
    return Detection(str(language), probability, confident)


def answer_language(current: Optional[str], text: str) -> str:
    """The language to answer `text` in: the conversation's once it has one, else the
    identifier's best guess for this message (a first "es cirugia?" is answered in
    Spanish, though it is too short to set the conversation's language)."""
    if current in LANGUAGES:
        return str(current)
    detection = detect(text)
    if detection.confident:
        return detection.language
    words = re.findall(r"[^\W\d_]+", _plain(text))
    spanish = sum(word in _SPANISH_CUES for word in words)
    english = sum(word in _ENGLISH_CUES for word in words)
    if spanish != english:
        return "es" if spanish > english else "en"
    return detection.language if words else DEFAULT_LANGUAGE


def conversation_language(current: Optional[str], text: str) -> str:
    """The conversation's language after this message: switched only on a confident read."""
    detection = detect(text)
    if detection.confident:
        return detection.language
    return current if current in LANGUAGES else DEFAULT_LANGUAGE


_PREFERS = {
    "es": re.compile(r"\b(?:espanol|spanish|castellano)\b", re.IGNORECASE),
    "en": re.compile(r"\b(?:ingles|english)\b", re.IGNORECASE),
}
LANGUAGE_WORDS = {"en": {"en": "English", "es": "Spanish"}, "es": {"en": "inglés", "es": "español"}}


def preferred_language(answer: Optional[str], current: Optional[str]) -> str:
    """The language a patient asks to be called in ("en la tarde, en español"): the one
    the answer names (only one), else the conversation's."""
    plain = _plain(answer or "")
    named = [language for language, pattern in _PREFERS.items() if pattern.search(plain)]
    if len(named) == 1:
        return named[0]
    return current if current in LANGUAGES else DEFAULT_LANGUAGE


def reply_language(text: Optional[str], current: Optional[str] = None) -> str:
    """The language to answer one message in when no conversation state is at hand
    (a message kept from Rasa) or when it is urgent: short emergencies ("me ahogo") are
    read on their probability alone, since a Spanish reply then costs nothing."""
    if text:
        detection = detect(text)
        if detection.confident or detection.probability >= CONFIDENT_PROBABILITY:
            return detection.language
    return current if current in LANGUAGES else DEFAULT_LANGUAGE


def turn_language(
    text: Optional[str], hint: Optional[str] = None, urgent: bool = False, found_in: Optional[str] = None
) -> Optional[str]:
    """The language this message sets for the conversation, or None to keep it.

    The patient's choice or a confident detection win; then, for an urgent message, its
    probability alone or the language whose red-flag terms found it (`found_in`: "me
    ahogo" is too short to read, but only Spanish terms know it); then the channel's
    setting (`hint`: the widget page's customData.language).
    """
    detection = detect(text or "")
    if detection.confident:
        return detection.language
    if urgent and detection.probability >= CONFIDENT_PROBABILITY:
        return detection.language
    if urgent and found_in in LANGUAGES:
        return found_in
    if hint in LANGUAGES:
        return hint
    return None
