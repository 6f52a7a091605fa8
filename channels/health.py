"""Keeps patients answered when a backend fails, and says so on GET /healthz/.

Not a chat channel: listed in credentials.yml so that Rasa loads it. It installs the
action server guard (`channels.action_guard`) and the tracker store guard
(`channels.tracker_guard`), checks the tracker store before the first turn, and serves
the health report: 200 when every dependency is up and nothing waits in the escalation
spool, 503 otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, Sanic, response
from sanic.request import Request

from channels import action_guard, tracker_guard
from channels.action_guard import outage_message
from meso.cases.escalations import EscalationStore
from meso.cases.spool import Spool
from meso.notify import alerts
from meso.settings import get_settings

__all__ = ["HealthInput", "health_report", "install", "outage_message"]

logger = logging.getLogger(__name__)


def install() -> None:
    """Installs both guards (once per process)."""
    action_guard.install()
    tracker_guard.install()


def restore_log_level() -> None:
    """Puts the root logger back at LOG_LEVEL once the model is loaded.

    Importing numpy.distutils (TensorFlow does, while the model loads) sets the root
    logger to WARNING through setuptools' distutils shim, which silenced every INFO
    line of this project in the Rasa process.
    """
    logging.getLogger().setLevel(get_settings().log_level)


@lru_cache(maxsize=4)
def _escalation_store(url: str) -> EscalationStore:
    return EscalationStore(url)


@lru_cache(maxsize=4)
def _spool(directory: Path) -> Spool:
    return Spool(directory)


def _escalations_state() -> Dict[str, Any]:
    settings = get_settings()
    spool = _spool(settings.data_dir / "spool")
    return {
        "database_up": _escalation_store(settings.escalation_url).ping(),
        "spooled": spool.pending(),
        "rejected": spool.rejected(),
    }


async def health_report(app: Sanic) -> Dict[str, Any]:
    """The state of every dependency; `ok` is False while any is failing."""
    loop = asyncio.get_running_loop()
    actions_up, tracker_up, escalations = await asyncio.gather(
        action_guard.action_server_up(),
        loop.run_in_executor(None, tracker_guard.is_up, app),
        loop.run_in_executor(None, _escalations_state),
    )
    report: Dict[str, Any] = {
        "action_server": {
            "up": actions_up,
            "failing_fast": action_guard.BREAKER.is_open,
            **action_guard.ACTION_SERVER.as_dict(),
        },
        "tracker_store": {
            "up": tracker_up,
            "skipping": tracker_guard.BREAKER.is_open,
            **tracker_guard.TRACKER_STORE.as_dict(),
        },
        "escalations": escalations,
        # Shown, not counted in `ok`: the embedded default has no alert channel.
        "alerts": alerts.channel_status(get_settings()),
    }
    report["ok"] = bool(
        actions_up
        and tracker_up
        and escalations["database_up"]
        and escalations["spooled"] == 0
        and escalations["rejected"] == 0
    )
    return report


class HealthInput(InputChannel):
    """Installs the guards, checks the tracker store at start, serves GET /healthz/."""

    @classmethod
    def name(cls) -> str:
        return "healthz"

    def url_prefix(self) -> str:
        return "/healthz"

    def blueprint(self, on_new_message: Any) -> Blueprint:
        install()
        health = Blueprint("healthz", __name__)
        wait = get_settings().tracker_startup_wait_seconds

        @health.listener("after_server_start")
        def tracker_store_or_exit(app: Sanic, _loop: Any) -> None:
            restore_log_level()
            tracker_guard.check_at_start(app, wait)

        @health.route("/", methods=["GET"])
        async def status(request: Request) -> response.HTTPResponse:
            report = await health_report(request.app)
            return response.json(report, status=200 if report["ok"] else 503)

        return health
