"""What a case's staff alert is: the configured channels and the payload written to the outbox.

The escalation store writes one outbox row per channel in the case's own transaction;
delivering them (signed webhook, email) is `meso.notify`, which imports this, never the
other way round.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from meso.settings import Settings

WEBHOOK = "webhook"
EMAIL = "email"


def configured_channels(settings: Settings) -> Tuple[str, ...]:
    """The alert channels these settings configure: webhook, email, both or none."""
    channels = []
    if settings.alert_webhook_url:
        channels.append(WEBHOOK)
    if settings.smtp_host and settings.alert_email_to:
        channels.append(EMAIL)
    return tuple(channels)


def alert_payload(
    escalation_id: int,
    urgency: str,
    reasons: Tuple[str, ...],
    channel: str,
    created_at: str,
    language: Optional[str] = None,
) -> Dict[str, Any]:
    """The alert for one case: identifiers and codes only, never patient text.

    Args:
        escalation_id: The case number.
        urgency: emergency, urgent or routine.
        reasons: Reason codes from docs/CONTRACTS.md.
        channel: The conversation channel (rest, socketio, sms, ...).
        created_at: When the case was opened, ISO 8601 in UTC.
        language: The conversation's language (en, es), so that someone who speaks it
            calls back; None when not known.

    Returns:
        A JSON-serialisable dict.
    """
    return {
        "escalation_id": escalation_id,
        "urgency": urgency,
        "reasons": list(reasons),
        "channel": channel,
        "created_at": created_at,
        "language": language,
        "link": f"/escalations/{escalation_id}",
    }
