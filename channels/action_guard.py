"""Bounds how long a turn waits for the action server, and answers honestly when it fails.

Rasa as shipped waits up to five minutes for a hung action server and answers nothing
when the call fails. Here a turn waits at most ACTION_TIMEOUT_SECONDS (counted from
the moment Rasa starts on the patient's message, language understanding included:
a cold first turn is slower); a failed turn gets one reply with the clinic's phone number
(or says it is unknown) and then ends. After a timeout or a refused connection, calls
fail fast until a quick probe finds the action server answering again. Domain
responses such as the emergency instruction never need the action server.

No escalation is lost meanwhile: a risky turn's case (emergency, complication,
disclosure) is recorded by the Rasa server itself, through the path used for risky
messages kept from Rasa (`meso.cases.unhandled`: the database, else the spool), under the turn's
key, so the action server running the same turn late records nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, List, Optional, Tuple

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.core.processor import MessageProcessor
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import FollowupAction

from meso.cases import handoff
from meso.cases import unhandled as kept
from meso.content.clinic import load_clinic
from meso.content.phrases import language_or_default, say
from meso.guard.breaker import Breaker, Incident
from meso.language import answer_language
from meso.settings import Settings, get_settings
from meso.text import clean_text

logger = logging.getLogger(__name__)

MIN_ACTION_SECONDS = 0.5  # a call made late in the turn still gets this long
PROBE_SECONDS = 0.5  # while the breaker is open: is the action server back?
COOL_DOWN = 10.0
TURNS_KEPT = 1024

Turn = Tuple[str, Optional[float]]  # sender id, time of the patient's message

ACTION_SERVER = Incident()
BREAKER = Breaker(COOL_DOWN)
_ANSWERED_TURNS: OrderedDict[Turn, None] = OrderedDict()
# When the processor started on the current message (each turn runs in its own task).
_TURN_STARTED: ContextVar[Optional[float]] = ContextVar("turn_started", default=None)


def outage_message(handoff_state: Optional[str] = None, language: Optional[str] = None) -> str:
    """What the patient reads when the assistant cannot run an action, in the
    conversation's language.

    `handoff_state` says what became of a risky message's case (`meso.cases.handoff`); None
    when the message was not risky.
    """
    clinic = load_clinic(get_settings().facts_dir / "clinic.yml")
    spoken = language_or_default(language)
    staff = handoff.outage_sentence(handoff_state, spoken)
    parts = (say("outage", spoken), staff, clinic.contact_sentence(spoken), say("outage_emergency", spoken))
    return " ".join(part for part in parts if part)


def _language_of(tracker: Any) -> str:
    """The conversation's language (the `language` slot), else the message's likely one."""
    try:
        current = tracker.get_slot("language")
    except Exception:  # noqa: BLE001 - a tracker without the slot
        current = None
    message = getattr(tracker, "latest_message", None)
    return answer_language(current, getattr(message, "text", None) or "")


def _record_risky_turn(tracker: Any) -> Optional[str]:
    """Records the case a risky turn calls for, here in the Rasa server (blocking).

    The action server could not: it is down or hung. The turn's key makes a late run
    of the same action (a hung server that wakes up) change nothing. Returns the
    hand-off state, or None when the turn was not risky.
    """
    message = getattr(tracker, "latest_message", None)
    risk = (getattr(message, "parse_data", None) or {}).get("risk") or {}
    case = handoff.case_for(risk)
    if case is None:
        return None
    urgency, reasons = case
    try:
        outcome = kept.record_kept(
            tracker.sender_id,
            getattr(message, "input_channel", None) or "unknown",
            clean_text(getattr(message, "text", None) or ""),
            urgency,
            reasons,
            handoff.turn_key(risk),
        )
        return handoff.handoff_state(outcome, urgency, kept.alert_channels())
    except Exception as error:  # noqa: BLE001 - the patient's reply must still go out
        logger.error("Could not record a risky message during an action-server outage (%s).", type(error).__name__)
        return handoff.NOT_STORED


def remaining_budget(started: Optional[float], now: float, budget: float) -> float:
    """Seconds an action call may take so the turn stays within `budget`."""
    if started is None:
        return budget
    return max(MIN_ACTION_SECONDS, budget - max(0.0, now - started))


def unreachable(error: BaseException) -> bool:
    """A timeout or a refused/dropped connection (not an error the server answered with)."""
    seen: Optional[BaseException] = error
    while seen is not None:
        if isinstance(seen, (asyncio.TimeoutError, aiohttp.ClientConnectionError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@lru_cache(maxsize=1)
def _settings() -> Settings:
    """This process's settings, read once: the guard runs on every action call."""
    return get_settings()


async def action_server_up(timeout: float = 1.0) -> bool:
    """True when the action server's /health answers 200 within `timeout`."""
    url = _settings().action_server_url.rsplit("/webhook", 1)[0]
    if not url:
        return False
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.get(f"{url}/health") as reply:
                return reply.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def _turn(tracker: Any) -> Turn:
    return tracker.sender_id, getattr(tracker.latest_message, "timestamp", None)


def _started(turn: Turn) -> Optional[float]:
    """When the turn began: processor start, else the message's own timestamp (reminders)."""
    started = _TURN_STARTED.get()
    return turn[1] if started is None else started


def _timed_handle_message(original: Any) -> Any:
    async def handle_message(self: MessageProcessor, message: Any) -> Any:
        _TURN_STARTED.set(time.time())
        return await original(self, message)

    handle_message.__wrapped__ = original  # type: ignore[attr-defined]
    return handle_message


async def _outage_events(action: str, tracker: Any, turn: Turn, reason: str) -> List[Any]:
    """The outage reply, once per turn; then the turn ends (action_listen).

    A risky turn's case is recorded here first, so the reply says only what is true.
    """
    if turn in _ANSWERED_TURNS:
        return [FollowupAction(ACTION_LISTEN_NAME)]
    _ANSWERED_TURNS[turn] = None
    while len(_ANSWERED_TURNS) > TURNS_KEPT:
        _ANSWERED_TURNS.popitem(last=False)
    logger.error("Action '%s' not run (%s); answered with the clinic's phone number.", action, reason)
    state = await asyncio.get_running_loop().run_in_executor(None, _record_risky_turn, tracker)
    return [
        create_bot_utterance({"text": outage_message(state, _language_of(tracker))}),
        FollowupAction(ACTION_LISTEN_NAME),
    ]


def _guarded_run(original: Any) -> Any:
    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        turn = _turn(tracker)
        if turn in _ANSWERED_TURNS:
            return await _outage_events(self.name(), tracker, turn, "turn already answered")
        if not BREAKER.allow():
            if not await action_server_up(PROBE_SECONDS):
                return await _outage_events(self.name(), tracker, turn, "action server unreachable")
            BREAKER.succeeded()
        budget = _settings().action_timeout_seconds
        timeout = remaining_budget(_started(turn), time.time(), budget)
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain), timeout)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - any failure gets the same honest reply
            ACTION_SERVER.record(error)
            if unreachable(error):
                BREAKER.failed()
            return await _outage_events(self.name(), tracker, turn, type(error).__name__)

    run.__wrapped__ = original  # type: ignore[attr-defined]
    return run


def install() -> None:
    """Wraps Rasa's RemoteAction.run (and times each turn) once per process."""
    if not hasattr(RemoteAction.run, "__wrapped__"):
        RemoteAction.run = _guarded_run(RemoteAction.run)  # type: ignore[method-assign]
    if not hasattr(MessageProcessor.handle_message, "__wrapped__"):
        MessageProcessor.handle_message = _timed_handle_message(  # type: ignore[method-assign]
            MessageProcessor.handle_message
        )
