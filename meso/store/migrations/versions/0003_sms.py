"""SMS channel state: opt-outs, processed message sids, pending MORE pages and options.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "sms_processed",
        sa.Column("message_sid", sa.String(64), primary_key=True),
        sa.Column("response", sa.Text, nullable=True),  # TwiML sent, for Twilio's retries
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sms_processed_created_at", "sms_processed", ["created_at"])
    op.create_table(
        "sms_threads",
        sa.Column("phone", sa.String(32), primary_key=True),
        sa.Column("pending", sa.Text, nullable=False),  # JSON list of pages (lists of messages)
        sa.Column("options", sa.Text, nullable=False),  # JSON list of {title, payload}
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sms_threads_updated_at", "sms_threads", ["updated_at"])


def downgrade() -> None:
    op.drop_table("sms_threads")
    op.drop_table("sms_processed")
    op.drop_table("sms_opt_outs")
