"""The names and limits every part of the project agrees on (docs/CONTRACTS.md): the one source.

Urgencies and their order, the reason codes and their urgency, case statuses, the facts
topics, the body areas, the SMS limits and the size limits shared by the channels and the
stores. `tests/meso/test_contract.py` holds this module against docs/CONTRACTS.md,
domain.yml and facts/red_flags.yml.
"""

from __future__ import annotations

from typing import Dict, FrozenSet, Tuple

# Urgencies, most urgent first, and their rank (a higher rank is more urgent).
URGENCIES: Tuple[str, ...] = ("emergency", "urgent", "routine")
URGENCY_RANK: Dict[str, int] = {"routine": 1, "urgent": 2, "emergency": 3}
# Urgencies whose cases alert staff at once (outbox rows in the same transaction).
ALERTED_URGENCIES: FrozenSet[str] = frozenset({"emergency", "urgent"})

# Reason codes the risk screen finds (facts/red_flags.yml) and their urgency.
SCREEN_REASON_URGENCY: Dict[str, str] = {
    "emergency": "emergency",
    "complication": "urgent",
    "pregnancy": "routine",
    "blood_clots": "routine",
    "stroke": "routine",
    "cancer": "routine",
    "minor": "routine",
}
# A classifier-only emergency guess the screen did not confirm (docs/CONTRACTS.md).
POSSIBLE_EMERGENCY = "possible_emergency"
# Every reason code of a case and its urgency: the screen's, the contact requests', and
# the possible emergency.
REASON_URGENCY: Dict[str, str] = {
    **SCREEN_REASON_URGENCY,
    "human_request": "routine",
    "callback": "routine",
    "booking": "routine",
    POSSIBLE_EMERGENCY: "urgent",
}
REASONS: FrozenSet[str] = frozenset(REASON_URGENCY)

# Case statuses.
OPEN, CLAIMED, RESOLVED = "open", "claimed", "resolved"
STATUSES: Tuple[str, ...] = (OPEN, CLAIMED, RESOLVED)
ACTIVE_STATUSES: Tuple[str, ...] = (OPEN, CLAIMED)

# The facts topics, in menu order; intent `ask_<topic>` answers each.
TOPICS: Tuple[str, ...] = (
    "procedure",
    "needles",
    "pain",
    "anesthesia",
    "session_length",
    "recovery",
    "cost",
    "contraindications",
    "age_limit",
    "areas",
    "face",
    "hair_loss",
    "pain_management",
    "weight_loss",
    "liposuction",
    "sessions_number",
    "safety",
    "history",
    "doctor",
    "clinic",
)
# Canonical values of the `body_area` entity.
BODY_AREAS: FrozenSet[str] = frozenset(
    {"waist", "arms", "back", "hips", "legs", "chin", "eyes", "face", "neck", "scalp"}
)

# SMS: the longest text of one reply (a fact's `sms` text too) and replies per turn.
SMS_MAX_CHARS = 320
SMS_MESSAGES_PER_TURN = 3

# The largest message metadata a channel accepts (JSON bytes).
MAX_METADATA_BYTES = 2048
# The longest actor name kept in a case's history or the audit log.
MAX_ACTOR = 200
# How long a PostgreSQL connection attempt may take before the caller falls back.
PG_CONNECT_TIMEOUT_S = 2
