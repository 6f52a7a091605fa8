"""The first thing a new conversation gets: who we are, not for emergencies, what we can do.

The web widget gets it when the server starts a new session (never as the reply to a
message); SMS gets a short form with the first message from a new number. Pure logic:
the channels send it.

Topic buttons send plain question text, understood like a typed question, so they
keep working whatever intents the assistant has.
"""

from __future__ import annotations

from typing import Any, Dict, List

from meso.clinic import Clinic
from meso.replies import Button

PRIVACY_PATH = "/chat/privacy/"

TOPIC_QUESTIONS = (
    Button("What is mesotherapy?", "What is mesotherapy?"),
    Button("Does it hurt?", "Does it hurt?"),
    Button("What is recovery like?", "What is recovery like?"),
    Button("How much does it cost?", "How much does it cost?"),
    Button("Who should not have it?", "Who should not have mesotherapy?"),
)


def web_welcome(clinic: Clinic, retention_days: int) -> List[Dict[str, Any]]:
    """The widget's welcome as socket.io bot messages, in the order they are shown."""
    return [
        {
            "text": (
                f"Hello! I'm the automated assistant of {clinic.display_name}, not a person. "
                "I answer questions about mesotherapy from information the clinic has reviewed."
            )
        },
        {
            "text": "Not for emergencies: if you think you have a medical emergency, call 911 now.",
            "notice": "emergency",
        },
        {
            "text": "What would you like to know? Pick a topic or type your question.",
            "quick_replies": [
                {"content_type": "text", "title": button.title, "payload": button.payload}
                for button in TOPIC_QUESTIONS
            ],
        },
        {
            "text": f"Clinic staff can read this chat; it is kept for {retention_days} days.",
            "link": {"url": PRIVACY_PATH, "title": "How we use your messages"},
        },
    ]


def sms_welcome(clinic: Clinic) -> str:
    """The short welcome for a first SMS from a new number (one message)."""
    return (
        f"This is {clinic.display_name}'s automated assistant for questions about mesotherapy. "
        "Not for emergencies: call 911. Reply HELP for help, STOP to opt out."
    )
