"""Staff second factor (TOTP, recovery codes), per-integration API tokens, API paging index.

Sessions gain `verified` (the second factor was given). Sessions that existed before this
revision were opened with a password alone, so they are deleted: everyone signs in again.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM staff_sessions")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.add_column(sa.Column("verified", sa.Boolean, nullable=False, server_default=sa.false()))

    op.create_table(
        "staff_totp",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_staff_totp_user", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("secret", sa.String(64), nullable=False),  # base32 RFC 6238 key
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("confirmed_at", sa.DateTime, nullable=True),  # NULL while enrolment is pending
        # The newest accepted RFC 6238 time step: a code for it or an older step is a replay.
        sa.Column("last_step", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_staff_recovery_codes_user", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(255), nullable=False),  # argon2id PHC string
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("used_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_staff_recovery_codes_user", "staff_recovery_codes", ["user_id"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),  # SHA-256 of the random token
        sa.Column("scopes", sa.String(200), nullable=False),  # space-separated
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("last_used_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("name", name="uq_api_tokens_name"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )

    # The API's keyset: urgency rank, created_at, id (see meso.cases.escalations.list).
    op.create_index("ix_escalations_urgency_created_id", "escalations", ["urgency", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_escalations_urgency_created_id", table_name="escalations")
    op.drop_table("api_tokens")
    op.drop_index("ix_staff_recovery_codes_user", table_name="staff_recovery_codes")
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_totp")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_column("verified")
