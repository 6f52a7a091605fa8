"""Staff hear of risky messages that never reach Rasa: over a rate limit, or from an
SMS number that opted out. The same screen, the same escalation store (spooled to
disk while the database is down, replayed by the action server's drainer)."""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Optional

from meso.escalations import EscalationStore
from meso.risk import Screening
from meso.settings import get_settings
from meso.spool import RecordOutcome, ResilientEscalations, Spool

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _escalations() -> ResilientEscalations:
    settings = get_settings()
    return ResilientEscalations(EscalationStore.from_settings(settings), Spool(settings.data_dir / "spool"))


def escalate_kept(
    conversation_id: str, channel: str, text: Optional[str], screening: Optional[Screening]
) -> Optional[RecordOutcome]:
    """Records `text` as an escalation when its screening is risky; None when it is not.

    Blocking (database or disk): call it off the event loop.
    """
    if screening is None or not screening.is_risky or screening.urgency is None:
        return None
    outcome = _escalations().record(
        conversation_id=conversation_id,
        channel=channel,
        urgency=screening.urgency,
        reasons=screening.reasons,
        message=text or "",
    )
    logger.warning("%s: escalated a risky message that did not reach the assistant.", channel)
    return outcome
