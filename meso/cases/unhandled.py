"""Staff hear of risky messages the assistant could not handle: over a rate limit, from an
SMS number that opted out, or while the action server is down or hung. The same screen, the same escalation store (spooled to
disk while the database is down, replayed by the action server's drainer)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Optional, Sequence, Tuple

from meso.cases.escalations import EscalationStore
from meso.cases.spool import RecordOutcome, ResilientEscalations, Spool
from meso.language import reply_language
from meso.safety.screen import Screening
from meso.settings import get_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _escalations() -> ResilientEscalations:
    settings = get_settings()
    return ResilientEscalations(EscalationStore.from_settings(settings), Spool(settings.data_dir / "spool"))


def escalate_kept(
    conversation_id: str,
    channel: str,
    text: Optional[str],
    screening: Optional[Screening],
    key: Optional[str] = None,
) -> Optional[RecordOutcome]:
    """Records `text` as an escalation when its screening is risky; None when it is not.

    Blocking (database or disk): call it off the event loop.
    """
    if screening is None or not screening.is_risky or screening.urgency is None:
        return None
    return record_kept(conversation_id, channel, text, screening.urgency, screening.reasons, key)


def record_kept(
    conversation_id: str,
    channel: str,
    text: Optional[str],
    urgency: str,
    reasons: Sequence[str],
    key: Optional[str] = None,
) -> RecordOutcome:
    """Records a case for a message the assistant could not handle itself (blocking).

    `key` identifies the patient's message: the action server records the same message
    under the same key, so a turn both paths saw becomes one case event.
    """
    outcome = _escalations().record(
        conversation_id=conversation_id,
        channel=channel,
        urgency=urgency,
        reasons=list(reasons),
        message=text or "",
        key=key,
        language=reply_language(text),
    )
    logger.warning("%s: escalated a risky message the assistant could not handle itself.", channel)
    return outcome


def alert_channels() -> Tuple[str, ...]:
    """The alert channels cases recorded here are alerted on (none on the embedded default)."""
    return _escalations().store.alert_channels
