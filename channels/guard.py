"""Keeps patients answered when a backend fails, and says so on /healthz.

Rasa waits up to five minutes for a hung action server and answers nothing when
the call fails; its tracker store silently falls back to memory. `install()`
bounds the action call, answers with the clinic's phone number instead, and
records both failures where the health endpoint and the logs show them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

import aiohttp
from rasa.core.actions.action import RemoteAction, create_bot_utterance
from rasa.core.channels.channel import InputChannel
from rasa.core.tracker_store import FailSafeTrackerStore
from sanic import Blueprint, response
from sanic.request import Request

from meso.clinic import load_clinic
from meso.escalations import EscalationStore
from meso.settings import get_settings
from meso.spool import Spool

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT = 4.0
RECENT_SECONDS = 60.0


@dataclass
class Incident:
    """The latest failure of one dependency."""

    count: int = 0
    last_at: Optional[float] = None
    last_error: str = ""

    def record(self, error: BaseException) -> None:
        self.count += 1
        self.last_at = time.time()
        self.last_error = type(error).__name__

    def recent(self) -> bool:
        return self.last_at is not None and time.time() - self.last_at < RECENT_SECONDS

    def as_dict(self) -> Dict[str, Any]:
        return {"failures": self.count, "last_failure_at": self.last_at, "last_error": self.last_error}


ACTION_SERVER = Incident()
TRACKER_STORE = Incident()


def outage_message() -> str:
    """What the patient reads when the assistant cannot run an action."""
    clinic = load_clinic(get_settings().facts_dir / "clinic.yml")
    return (
        "Sorry, I can't answer that right now. "
        f"{clinic.contact_sentence()} If this is an emergency, call 911."
    )


def _guarded_run(original: Any) -> Any:
    timeout = float(os.environ.get("ACTION_TIMEOUT_SECONDS", DEFAULT_ACTION_TIMEOUT))

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Any]:
        try:
            return await asyncio.wait_for(original(self, output_channel, nlg, tracker, domain), timeout)
        except Exception as error:  # noqa: BLE001 - any failure gets the same honest reply
            if type(error).__name__ == "ActionExecutionRejection":
                raise
            ACTION_SERVER.record(error)
            logger.error("Action '%s' failed (%s); sent the outage reply.", self.name(), type(error).__name__)
            message = {"text": outage_message()}
            await output_channel.send_response(tracker.sender_id, message)
            return [create_bot_utterance(message)]

    run.__wrapped__ = original  # type: ignore[attr-defined]
    return run


def _tracker_store_error(self: FailSafeTrackerStore, error: Exception) -> None:
    TRACKER_STORE.record(error)
    logger.error("Tracker store failed (%s); this turn is kept in memory only.", type(error).__name__)


def install() -> None:
    """Installs both guards once per process."""
    if not hasattr(RemoteAction.run, "__wrapped__"):
        RemoteAction.run = _guarded_run(RemoteAction.run)  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_error = _tracker_store_error  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = _tracker_store_error  # type: ignore[method-assign]


async def _action_server_up() -> bool:
    url = os.environ.get("ACTION_SERVER_URL", "").rsplit("/webhook", 1)[0]
    if not url:
        return False
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as session:
            async with session.get(f"{url}/health") as reply:
                return reply.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def _escalations_state() -> Dict[str, Any]:
    settings = get_settings()
    return {
        "database_up": EscalationStore(settings.escalation_url).ping(),
        "spooled": Spool(settings.data_dir / "spool").pending(),
    }


async def health_report() -> Dict[str, Any]:
    """The state of every dependency; `ok` is False while any is failing."""
    actions_up = await _action_server_up()
    escalations = await asyncio.get_running_loop().run_in_executor(None, _escalations_state)
    report = {
        "action_server": {"up": actions_up, **ACTION_SERVER.as_dict()},
        "tracker_store": {"failing": TRACKER_STORE.recent(), **TRACKER_STORE.as_dict()},
        "escalations": escalations,
    }
    report["ok"] = (
        actions_up
        and not TRACKER_STORE.recent()
        and escalations["database_up"]
        and escalations["spooled"] == 0
    )
    return report


class HealthInput(InputChannel):
    """Not a chat channel: installs the guards and serves GET /healthz."""

    @classmethod
    def name(cls) -> Text:
        return "healthz"

    def url_prefix(self) -> Text:
        return "/healthz"

    def blueprint(self, on_new_message: Any) -> Blueprint:
        install()
        health = Blueprint("healthz", __name__)

        @health.route("/", methods=["GET"])
        async def status(_: Request) -> response.HTTPResponse:
            report = await health_report()
            return response.json(report, status=200 if report["ok"] else 503)

        return health
