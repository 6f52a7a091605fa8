"""Alembic environment: runs migrations against the configured URL.

`target_metadata` is every table of the escalation database (meso/store/tables.py), so
`alembic check` and tests/meso/test_schema.py can compare the tables with the migrations.
"""

from alembic import context

from meso.store.db import make_engine, metadata
from meso.store.tables import escalations_table  # noqa: F401  (declares every table on metadata)

target_metadata = metadata

url = context.config.get_main_option("sqlalchemy.url") or ""
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection, target_metadata=target_metadata, render_as_batch=url.startswith("sqlite")
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
