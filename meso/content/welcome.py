"""The first thing a new conversation gets: who we are, not for emergencies, what we can do.

The web widget gets it when the server starts a new session (never as the reply to a
message), in the page's language; SMS gets a short form with the first message from a
new number, in that message's language. Pure logic: the channels send it.

Topic buttons send plain question text, understood like a typed question, so they
keep working whatever intents the assistant has.
"""

from __future__ import annotations

from typing import Any, Dict, List, Tuple

from meso.content.clinic import Clinic
from meso.language import DEFAULT_LANGUAGE, LANGUAGES
from meso.replies import Button

PRIVACY_PATHS = {"en": "/chat/privacy/", "es": "/chat/es/privacy/"}

TOPIC_QUESTIONS: Dict[str, Tuple[Button, ...]] = {
    "en": (
        Button("What is mesotherapy?", "What is mesotherapy?"),
        Button("Does it hurt?", "Does it hurt?"),
        Button("What is recovery like?", "What is recovery like?"),
        Button("How much does it cost?", "How much does it cost?"),
        Button("Who should not have it?", "Who should not have mesotherapy?"),
    ),
    "es": (
        Button("¿Qué es la mesoterapia?", "¿Qué es la mesoterapia?"),
        Button("¿Duele?", "¿Duele la mesoterapia?"),
        Button("¿Cómo es la recuperación?", "¿Cómo es la recuperación después de la mesoterapia?"),
        Button("¿Cuánto cuesta?", "¿Cuánto cuesta la mesoterapia?"),
        Button("¿Quién no debe hacérsela?", "¿Quién no debe hacerse la mesoterapia?"),
    ),
}

_TEXTS = {
    "en": {
        "hello": (
            "Hello! I'm the automated assistant of {clinic}, not a person. "
            "I answer questions about mesotherapy from information the clinic has reviewed."
        ),
        "emergency": "Not for emergencies: if you think you have a medical emergency, call 911 now.",
        "ask": "What would you like to know? Pick a topic or type your question.",
        "kept": "Clinic staff can read this chat; it is kept for {days} days.",
        "privacy": "How we use your messages",
        "sms": (
            "This is {clinic}'s automated assistant for questions about mesotherapy. "
            "Not for emergencies: call 911. Reply HELP for help, STOP to opt out."
        ),
    },
    "es": {
        "hello": (
            "¡Hola! Soy el asistente automático de {clinic}, no una persona. "
            "Respondo preguntas sobre la mesoterapia con información revisada por la clínica."
        ),
        "emergency": "No es para emergencias: si cree que tiene una emergencia médica, llame al 911 ahora.",
        "ask": "¿Qué le gustaría saber? Elija un tema o escriba su pregunta.",
        "kept": "El personal de la clínica puede leer este chat; se guarda {days} días.",
        "privacy": "Cómo usamos sus mensajes",
        "sms": (
            # No accented letter: the message stays in GSM-7 (160 characters a segment).
            "Asistente automatizado de {clinic} sobre mesoterapia. "
            "No es para emergencias: llame al 911. Responda AYUDA para ayuda, ALTO para cancelar."
        ),
    },
}


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def web_welcome(clinic: Clinic, retention_days: int, language: str = DEFAULT_LANGUAGE) -> List[Dict[str, Any]]:
    """The widget's welcome as socket.io bot messages, in the order they are shown."""
    language = _language(language)
    text = _TEXTS[language]
    return [
        {"text": text["hello"].format(clinic=clinic.display_name)},
        {"text": text["emergency"], "notice": "emergency"},
        {
            "text": text["ask"],
            "quick_replies": [
                {"content_type": "text", "title": button.title, "payload": button.payload}
                for button in TOPIC_QUESTIONS[language]
            ],
        },
        {
            "text": text["kept"].format(days=retention_days),
            "link": {"url": PRIVACY_PATHS[language], "title": text["privacy"]},
        },
    ]


def sms_welcome(clinic: Clinic, language: str = DEFAULT_LANGUAGE) -> str:
    """The short welcome for a first SMS from a new number (one message)."""
    return _TEXTS[_language(language)]["sms"].format(clinic=clinic.display_name)
