"""Alembic environment: runs migrations against the configured URL."""

from alembic import context

from meso.store.db import make_engine

url = context.config.get_main_option("sqlalchemy.url") or ""
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
