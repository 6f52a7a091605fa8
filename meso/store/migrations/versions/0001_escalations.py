"""Escalations, their case history, and the staff-alert outbox.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),  # JSON list of reason codes
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=True),
        sa.Column("contact_phone", sa.String(32), nullable=True),
        sa.Column("contact_time", sa.String(200), nullable=True),
        sa.Column("contact_consent", sa.Boolean, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("resolved_outcome", sa.Text, nullable=True),
    )
    op.create_index("ix_escalations_queue", "escalations", ["status", "urgency", "created_at"])
    op.create_index("ix_escalations_conversation", "escalations", ["conversation_id", "status"])
    op.create_index("ix_escalations_updated_at", "escalations", ["updated_at"])

    op.create_table(
        "escalation_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "escalation_id",
            sa.Integer,
            sa.ForeignKey("escalations.id", name="fk_escalation_events_escalation", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),  # created|merged|contact|claimed|note|resolved
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        # Idempotency key of the write that made this event (spool replays): unique, so a
        # replayed write is recognised instead of duplicated.
        sa.Column("dedup_key", sa.String(64), nullable=True),
        sa.UniqueConstraint("dedup_key", name="uq_escalation_events_dedup_key"),
    )
    op.create_index("ix_escalation_events_escalation", "escalation_events", ["escalation_id", "id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "escalation_id",
            sa.Integer,
            sa.ForeignKey("escalations.id", name="fk_outbox_escalation", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("channel", sa.String(16), nullable=False),  # webhook|email
        sa.Column("payload", sa.Text, nullable=False),  # JSON, no patient text
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered_at", "next_attempt_at"])
    op.create_index("ix_outbox_escalation", "outbox", ["escalation_id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("escalation_events")
    op.drop_table("escalations")
