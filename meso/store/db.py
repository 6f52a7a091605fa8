"""Database plumbing shared by every store: engines, metadata, migrations.

`engine(url)` is the one engine cache of the escalation database: every store over it (cases,
outbox, audit, accounts, review, SMS state) shares one migrated engine per URL, tuned to
fail fast (a short SQLite lock wait, a PostgreSQL connect timeout) into the callers'
retry and spool paths. Rasa's tracker database has its own cache (meso.store.transcripts).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Dict, Set

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from meso.contract import PG_CONNECT_TIMEOUT_S

metadata = sa.MetaData()

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The lock wait of a store's SQLite connection: ~0.25 s, then the retry/spool path.
SQLITE_BUSY_TIMEOUT_MS = 250


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Creates a 2.0-style engine; SQLite gets WAL mode and a busy timeout.

    SQL errors never carry their parameters (patient messages, phone numbers) into logs.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, future=True, connect_args={"timeout": 5}, hide_parameters=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


def migrate(url: str) -> None:
    """Brings the database at `url` to the newest schema with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(config, "head")


class EngineCache:
    """One engine per database URL in this process, built on first use.

    With `migrated`, the schema is brought up to date before the engine is first handed
    out; a failed migration is tried again on the next call.
    """

    def __init__(self, build: Callable[[str], Engine] = make_engine, migrated: bool = False) -> None:
        self._build = build
        self._migrated = migrated
        self._engines: Dict[str, Engine] = {}
        self._done: Set[str] = set()
        self._lock = threading.Lock()

    def get(self, url: str) -> Engine:
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                engine = self._engines[url] = self._build(url)
            if self._migrated and url not in self._done:
                migrate(url)
                self._done.add(url)
            return engine

    def dispose(self) -> None:
        """Closes every pooled connection (shutdown, tests); engines are rebuilt on demand."""
        with self._lock:
            engines = list(self._engines.values())
            self._engines.clear()
        for engine in engines:
            engine.dispose()


def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _pg_connect_timeout(_dialect: Any, _record: Any, _cargs: Any, cparams: Dict[str, Any]) -> None:
    cparams.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)


def make_store_engine(url: str) -> Engine:
    """`make_engine` tuned to fail fast: a short SQLite lock wait, a PostgreSQL connect timeout."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        # Runs after make_engine's pragmas: fail fast into the retry/spool path.
        sa.event.listen(engine, "connect", _short_busy_timeout)
    elif engine.dialect.name == "postgresql":
        sa.event.listen(engine, "do_connect", _pg_connect_timeout)
    return engine


# One migrated engine per URL in this process, shared by every store of the escalation
# database (health checks create a store per request).
_ENGINES = EngineCache(make_store_engine, migrated=True)
engine = _ENGINES.get
dispose_engines = _ENGINES.dispose
