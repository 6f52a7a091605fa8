"""The content loop: fact versions under review, published books, unanswered triage, answer counts,
and the clinician role.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('staff', 'admin')"
NEW_ROLES = "role IN ('staff', 'clinician', 'admin')"


def _role_check(allowed: str) -> None:
    """Replaces the role check. SQLite rebuilds the table: with foreign keys on, dropping
    the old copy would cascade into sessions and second factors, so they are off meanwhile
    (the pragma takes effect here: pysqlite has no transaction open before DML)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_constraint("ck_staff_users_role", type_="check")
        batch.create_check_constraint("ck_staff_users_role", allowed)
    if sqlite:
        op.execute("PRAGMA foreign_keys=ON")


def upgrade() -> None:
    _role_check(NEW_ROLES)

    # Every version of every fact: drafts, reviews and what was published (never deleted).
    op.create_table(
        "fact_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fact_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),  # 1, 2, ... per fact
        # draft | in_review | sent_back | published | superseded | withdrawn
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),  # the fact's entry as JSON (facts.yml keys)
        sa.Column("based_on", sa.Integer, nullable=True),  # the version it was edited from
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=True),  # the author's summary of the change
        sa.Column("reviewer", sa.String(200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime, nullable=True),
        sa.Column("review_comment", sa.Text, nullable=True),
        sa.UniqueConstraint("fact_id", "number", name="uq_fact_versions_fact_number"),
    )
    op.create_index("ix_fact_versions_status", "fact_versions", ["status"])

    # The whole published facts book after each approval: the newest row is what patients get.
    op.create_table(
        "published_books",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("body", sa.Text, nullable=False),  # documents, topics, facts, ... as JSON
        sa.Column("published_at", sa.DateTime, nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.Column("fact_version_id", sa.Integer, nullable=True),
    )

    # Staff decisions on unanswered wordings (one row per normalised wording).
    op.create_table(
        "unanswered_marks",
        sa.Column("wording", sa.String(300), primary_key=True),
        sa.Column("decision", sa.String(16), nullable=False),  # answered | out_of_scope | ignored
        sa.Column("fact_id", sa.String(64), nullable=True),
        sa.Column("fact_version_id", sa.Integer, nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("marked_at", sa.DateTime, nullable=False),
    )

    # What the answer action did, counted per day: no text, no conversation.
    op.create_table(
        "answer_counts",
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("topic", sa.String(32), nullable=False),  # '' when no fact answered
        sa.Column("outcome", sa.String(16), nullable=False),  # answered | declined
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("day", "topic", "outcome", "channel", "language", name="pk_answer_counts"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")  # before the first DML opens a transaction
    op.execute("UPDATE staff_users SET role = 'staff' WHERE role = 'clinician'")
    op.drop_table("answer_counts")
    op.drop_table("unanswered_marks")
    op.drop_table("published_books")
    op.drop_index("ix_fact_versions_status", table_name="fact_versions")
    op.drop_table("fact_versions")
    _role_check(OLD_ROLES)
