"""The privacy notice patients reach from the widget's welcome: what is kept, how long,
who reads it and how to ask for deletion. Pure text; `channels.chat_page` serves it.

Clinic details come from `facts/clinic.yml`; an unknown one is never filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from meso.clinic import Clinic


@dataclass(frozen=True)
class Section:
    """One heading of the notice and its paragraphs."""

    heading: str
    paragraphs: Tuple[str, ...]


def deletion_contact(clinic: Clinic) -> str:
    """How to reach the clinic to ask for deletion, from the details it has."""
    ways = []
    if clinic.phone:
        ways.append(f"call {clinic.display_name} at {clinic.phone}")
    if clinic.address:
        ways.append(f"write to or visit {clinic.display_name} at {clinic.address}")
    if ways:
        return "To ask for your conversation to be deleted sooner, " + " or ".join(ways) + "."
    return (
        f"To ask for your conversation to be deleted sooner, contact {clinic.display_name} "
        "(this assistant does not have its phone number or address), or ask here for a call "
        "back from staff and say that you want your messages deleted."
    )


def privacy_notice(clinic: Clinic, retention_days: int) -> List[Section]:
    """The notice's sections, in order."""
    who = clinic.display_name
    return [
        Section(
            "What this is",
            (
                f"The chat and SMS assistant of {who} is automated: it answers questions about "
                "mesotherapy from information the clinic has reviewed. It is not for emergencies: "
                "if you think you have a medical emergency, call 911.",
            ),
        ),
        Section(
            "What is kept",
            (
                "The messages you send and the assistant's replies, with the time of each.",
                "On the website, a random conversation code kept in your browser tab, so the chat "
                "survives a page reload; closing the tab forgets it. By SMS, your phone number.",
                "What you give when you ask for a call back: your name, phone number and the best "
                "time to call.",
                "Your internet address is used to limit how many messages can be sent a minute.",
            ),
        ),
        Section(
            "Who reads it",
            (
                f"Staff of {who}. They follow up on conversations the assistant passes to them: a "
                "possible complication or emergency, a request to talk to a person or for a call "
                "back. Staff sign in to read them, and what they do "
                "with a case is recorded.",
                "The chat page loads nothing from other websites.",
            ),
        ),
        Section(
            "How long",
            (
                f"Conversations and call-back requests are deleted {retention_days} days after "
                "their last message.",
            ),
        ),
        Section("Deletion", (deletion_contact(clinic),)),
    ]
