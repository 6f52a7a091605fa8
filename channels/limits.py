"""Rate limits and the request size cap of the Rasa server's channels (Sanic adapters).

The limits themselves are `meso.guard.rate_limit` (one process) or
`meso.guard.shared_rate_limit` (Redis, several processes); the reply to a refused message
is `meso.guard.refusals`. Behind a reverse proxy, set Sanic's SANIC_PROXIES_COUNT (or
SANIC_REAL_IP_HEADER) so the client address is the patient's, not the proxy's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any, Optional

from sanic import Blueprint
from sanic.request import Request

from meso.cases.unhandled import escalate_kept
from meso.guard.rate_limit import Decision, Limit, Limiter, RateLimiter
from meso.guard.refusals import LimitedReply, language_for, reply_for, screen_kept
from meso.guard.shared_rate_limit import SharedRateLimiter
from meso.safety.screen import Screening
from meso.settings import Settings

logger = logging.getLogger(__name__)


def client_ip(request: Optional[Request]) -> str:
    """The client's address: the forwarded one when Sanic trusts a proxy, else the peer's."""
    if request is None:
        return ""
    return request.remote_addr or request.ip or ""


def chat_limiter(settings: Settings, per_ip: int, channel: str) -> Limiter:
    """Per-sender and per-IP limits over the configured window.

    Shared through Redis when the settings name one (several Rasa processes), else
    counted in this process.
    """
    window = settings.rate_limit_window_seconds
    limits = {"sender": Limit(settings.rate_limit_per_sender, window), "ip": Limit(per_ip, window)}
    if settings.rate_limit_redis_url:
        return SharedRateLimiter.from_url(limits, settings.rate_limit_redis_url, channel)
    return RateLimiter(limits)


def tag(value: str) -> str:
    """A short, stable tag of a sender or address for logs (never the value itself)."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:10]


async def refused(channel: str, decision: Decision, sender: str, text: Optional[str]) -> LimitedReply:
    """The reply to a message a limit refused, logged without its text or sender.

    A risky message is escalated to staff all the same.
    """
    screening = screen_kept(text)
    reply = reply_for(screening, language_for(text, screening))
    # INFO, or a flood would flood the log too; WARNING when it was an emergency.
    logger.log(
        logging.WARNING if reply.urgent else logging.INFO,
        "%s: message from %s refused by the per-%s rate limit%s.",
        channel,
        tag(sender),
        decision.scope,
        " (emergency instruction sent)" if reply.urgent else "",
    )
    await escalate_kept_message(channel, sender, text, screening)
    return reply


async def escalate_kept_message(
    channel: str, sender: str, text: Optional[str], screening: Optional[Screening] = None
) -> None:
    """Escalates a risky message that will not reach Rasa, off the event loop; never raises."""
    screening = screening or screen_kept(text)
    if screening is None or not screening.is_risky:
        return
    try:
        await asyncio.get_running_loop().run_in_executor(None, escalate_kept, sender, channel, text, screening)
    except Exception as exc:  # noqa: BLE001 - the patient's reply must still go out
        logger.error("%s: could not escalate a kept message (%s).", channel, type(exc).__name__)


def cap_request_size(blueprint: Blueprint, max_bytes: int) -> None:
    """Makes Sanic refuse (413) any request body over `max_bytes` before reading it all."""

    @blueprint.listener("before_server_start")
    async def cap(app: Any, _loop: Any) -> None:
        app.config.REQUEST_MAX_SIZE = min(int(app.config.REQUEST_MAX_SIZE), max_bytes)
