"""No silent fall back to memory: the tracker store is reachable, or Rasa says so.

Rasa as shipped starts with a tracker store it cannot reach (and gives up creating its
tables, for good), and saves a tracker it could not store into an in-memory store it
never reads again. Here:

- `check_at_start` refuses to start (exit 69) when the store is in memory or cannot be
  read within TRACKER_STARTUP_WAIT_SECONDS, and creates missing tables;
- a turn the store cannot take is answered but kept nowhere; the failure is logged and
  shown on /healthz, and the store is skipped for a few seconds so that a locked file
  does not block every turn;
- Rasa's engine gets bounded waits, fresh connections after a database restart and
  no SQL parameters (patient messages) in its errors.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, Optional, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import (
    FailSafeTrackerStore,
    InMemoryTrackerStore,
    SQLTrackerStore,
    create_engine_kwargs,
)
from sanic import Sanic
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from meso.contract import PG_CONNECT_TIMEOUT_S
from meso.guard.breaker import Breaker, Incident

logger = logging.getLogger(__name__)

COOL_DOWN = 5.0
PROBE_SECONDS = 1.0
SQLITE_BUSY_S = 2.0  # Rasa is the only writer; its transactions take milliseconds
EXIT_UNAVAILABLE = 69  # EX_UNAVAILABLE

TRACKER_STORE = Incident()
BREAKER = Breaker(COOL_DOWN)
T = TypeVar("T")


async def _primary(call: Callable[[], Awaitable[T]], default: T) -> T:
    """Runs a call on the real tracker store; `default` when it fails or is skipped."""
    if not BREAKER.allow():
        return default
    try:
        result = await call()
    except Exception as error:  # noqa: BLE001 - the patient is answered; /healthz shows it
        TRACKER_STORE.record(error)
        BREAKER.failed()
        logger.error(
            "Tracker store failed (%s): this turn is answered but not stored; skipping the store for %.0f s.",
            type(error).__name__,
            COOL_DOWN,
        )
        return default
    BREAKER.succeeded()
    return result


async def _retrieve(self: FailSafeTrackerStore, sender_id: str) -> Any:
    return await _primary(lambda: self._tracker_store.retrieve(sender_id), None)


async def _retrieve_full(self: FailSafeTrackerStore, sender_id: str) -> Any:
    return await _primary(lambda: self._tracker_store.retrieve_full_tracker(sender_id), None)


async def _keys(self: FailSafeTrackerStore) -> Any:
    return await _primary(lambda: self._tracker_store.keys(), [])


async def _save(self: FailSafeTrackerStore, tracker: Any) -> None:
    await _primary(lambda: self._tracker_store.save(tracker), None)  # no in-memory fallback


def install() -> None:
    """Replaces the fail-safe store's methods (primary store only, no memory)."""
    FailSafeTrackerStore.retrieve = _retrieve  # type: ignore[method-assign]
    FailSafeTrackerStore.retrieve_full_tracker = _retrieve_full  # type: ignore[method-assign]
    FailSafeTrackerStore.keys = _keys  # type: ignore[method-assign]
    FailSafeTrackerStore.save = _save  # type: ignore[method-assign]


def primary_store(app: Sanic) -> Any:
    """The store behind Rasa's wrappers, or None before the agent is loaded."""
    store: Any = getattr(getattr(app.ctx, "agent", None), "tracker_store", None)
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store  # FailSafe/Awaitable wrappers
    return store


@lru_cache(maxsize=4)
def _probe_engine(url: str) -> Engine:
    """A second engine on the tracker database that gives up quickly."""
    connect_args: Dict[str, Any] = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = PROBE_SECONDS
    elif url.startswith("postgresql"):
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return sa.create_engine(url, poolclass=NullPool, connect_args=connect_args, hide_parameters=True)


def db_error(engine: Engine) -> Optional[str]:
    """None when Rasa's `events` table takes writes now; else the error's class name.

    The probe is an UPDATE that matches no row: it needs the write lock, so a SQLite
    file another process holds locked reads as down even in WAL mode.
    """
    try:
        with _probe_engine(engine.url.render_as_string(hide_password=False)).begin() as connection:
            connection.execute(sa.text("UPDATE events SET id = id WHERE 1 = 0"))
        return None
    except Exception as error:  # noqa: BLE001 - a probe reports, never raises
        return type(error).__name__


def is_up(app: Sanic) -> bool:
    """The probe for /healthz (blocking: run it in an executor); closes the breaker when up."""
    store = primary_store(app)
    engine = getattr(store, "engine", None)
    if engine is None:
        return store is not None and not isinstance(store, InMemoryTrackerStore)
    up = db_error(engine) is None
    if up:
        BREAKER.succeeded()
    return up


def harden_engine(store: SQLTrackerStore) -> None:
    """Rebuilds Rasa's engine with bounded waits, pre-ping and hidden SQL parameters."""
    url = store.engine.url
    kwargs: Dict[str, Any] = create_engine_kwargs(url)
    if store.engine.dialect.name == "sqlite":
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_S}
    elif store.engine.dialect.name == "postgresql":
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}), "connect_timeout": PG_CONNECT_TIMEOUT_S}
        kwargs["pool_pre_ping"] = True  # the first turn after a database restart is kept too
    engine = sa.create_engine(url, hide_parameters=True, **kwargs)
    store.engine.dispose()
    store.engine = engine
    store.sessionmaker.configure(bind=engine)


def _refuse_to_start(reason: str) -> None:
    logger.critical("Refusing to start: %s", reason)
    for handler in logging.getLogger().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT_UNAVAILABLE)


def check_at_start(app: Sanic, wait: float) -> None:
    """Exits the process unless the tracker store is a database that answers.

    Blocks the loop on purpose: no turn is served before the store is known good.
    """
    store = primary_store(app)
    if store is None:
        return
    if isinstance(store, InMemoryTrackerStore):
        _refuse_to_start("the tracker store is in memory (check tracker_store in endpoints.yml).")
    if not isinstance(store, SQLTrackerStore):
        return
    harden_engine(store)
    deadline = time.monotonic() + wait
    while True:
        try:
            SQLTrackerStore.Base.metadata.create_all(store.engine)
            error = db_error(store.engine)
        except Exception as exc:  # noqa: BLE001
            error = type(exc).__name__
        if error is None:
            logger.info("Tracker store reachable.")
            return
        if time.monotonic() >= deadline:
            _refuse_to_start(f"the tracker store cannot be reached ({error}) after {wait:.0f} s.")
        time.sleep(1)
