"""What the patient is told about the hand-off to staff: only what is true.

"I've alerted the clinic's staff" is said only when the case is committed and an alert
for it is queued on a configured channel (webhook or email). With no alert channel the
case still waits in the staff's queue, and the patient is told exactly that. A case the
database did not take (spooled to disk, or lost) promises nothing: the patient gets the
clinic's phone number instead.
"""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from meso.cases.spool import RecordOutcome
from meso.content.phrases import say
from meso.contract import ALERTED_URGENCIES, POSSIBLE_EMERGENCY, REASON_URGENCY

ALERTED = "alerted"  # committed, and an alert is queued for staff
QUEUED = "queued"  # committed, in the staff's queue; nobody is alerted
NOT_STORED = "not_stored"  # spooled to disk or lost: nothing may be promised

# A classifier read an emergency the risk screen did not find (docs/CONTRACTS.md).
POSSIBLE_EMERGENCY_URGENCY = REASON_URGENCY[POSSIBLE_EMERGENCY]


def case_for(risk: Mapping[str, Any]) -> Optional[Tuple[str, List[str]]]:
    """The (urgency, reasons) of the case a turn's `risk` parse data calls for, or None.

    The screen's findings when it found any; else a classifier-only emergency guess
    becomes a `possible_emergency` case (urgent), never an emergency.
    """
    reasons = [str(reason) for reason in risk.get("reasons") or []]
    urgency = risk.get("urgency")
    if reasons and urgency:
        return str(urgency), reasons
    if risk.get("unconfirmed"):
        return POSSIBLE_EMERGENCY_URGENCY, [POSSIBLE_EMERGENCY]
    return None


def turn_key(risk: Mapping[str, Any]) -> Optional[str]:
    """The idempotency key of the turn's case (the same on the Rasa and action servers)."""
    turn = risk.get("turn")
    return f"turn-{turn}" if isinstance(turn, str) and turn.isalnum() else None


def handoff_state(outcome: Optional[RecordOutcome], urgency: str, alert_channels: Sequence[str]) -> str:
    """How far the case got: ALERTED, QUEUED or NOT_STORED."""
    if outcome is None or not outcome.stored:
        return NOT_STORED
    if urgency in ALERTED_URGENCIES and alert_channels:
        return ALERTED
    return QUEUED


def staff_sentence(state: str, language: Optional[str] = None) -> Optional[str]:
    """The sentence about staff for a committed case; None when nothing may be promised."""
    if state == ALERTED:
        return say("staff_alerted", language)
    if state == QUEUED:
        return say("staff_queued", language)
    return None


def emergency_follow_up(state: str, contact: str, language: Optional[str] = None) -> str:
    """What follows the 911 instruction (which the domain response already gave)."""
    if state == ALERTED:
        return say("emergency_alerted", language)
    if state == QUEUED:
        return say("emergency_queued", language)
    return say("emergency_not_stored", language, contact=contact)


def unconfirmed_reply(state: str, contact: str, crisis: bool, language: Optional[str] = None) -> str:
    """The reply when only the intent classifier read an emergency (or a crisis).

    No "call 911 now": the screen found no emergency in the message. It says how to get
    help if the patient needs it, and what happened to the message.
    """
    parts = [say("unconfirmed", language)]
    if crisis:
        parts.append(say("unconfirmed_crisis", language))
    sentence = staff_sentence(state, language)
    parts.append(sentence if sentence else say("staff_unreachable", language, contact=contact))
    return " ".join(parts)


def outage_sentence(state: Optional[str], language: Optional[str] = None) -> str:
    """The part of the outage reply about the patient's risky message (empty when none)."""
    if state is None:
        return ""
    if state == NOT_STORED:
        return say("staff_unreachable_short", language)
    return staff_sentence(state, language) or ""
