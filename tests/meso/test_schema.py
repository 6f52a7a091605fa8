"""The tables (meso/store/tables.py) and the Alembic migrations agree, on SQLite and PostgreSQL.

Alembic's autogenerate comparison between the migrated database and `target_metadata`
must find nothing to add, drop or alter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from devstack.postgres import PostgresServer
from meso.store import tables
from meso.store.db import make_engine, metadata, migrate


def _differences(url: str) -> List[Any]:
    migrate(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_every_table_is_on_the_one_metadata() -> None:
    declared = {value.name for value in vars(tables).values() if isinstance(value, sa.Table)}
    assert declared == set(metadata.tables)
    assert "events" not in metadata.tables  # Rasa's table lives in its own database
    assert {"staff_sessions", "login_attempts", "outbox", "escalations"} <= declared


def test_migrations_match_the_tables_on_sqlite(tmp_path: Path) -> None:
    assert _differences(f"sqlite:///{tmp_path / 'schema.db'}") == []


def test_migrations_match_the_tables_on_postgresql(postgres: PostgresServer) -> None:
    assert _differences(postgres.new_database()) == []
