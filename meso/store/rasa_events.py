"""Rasa's tracker table (`events`), declared once: the console reads it, the demo seed writes it.

The columns of Rasa 3.6's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent).
It lives in Rasa's own database, on its own MetaData: the escalation migrations never
create or alter it.
"""

from __future__ import annotations

import sqlalchemy as sa

rasa_metadata = sa.MetaData()

events_table = sa.Table(
    "events",
    rasa_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
