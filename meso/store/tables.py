"""Every table of the escalation database, on one SQLAlchemy MetaData (`meso.store.db.metadata`).

The Alembic migrations in `meso/store/migrations` create these tables; their `env.py` takes
this metadata as `target_metadata`, and `tests/meso/test_schema.py` checks that the two
agree. Rasa's own tracker table is declared in `meso.store.rasa_events` (another database).
"""

from __future__ import annotations

import sqlalchemy as sa

from meso.clock import UTCDateTime
from meso.contract import MAX_ACTOR
from meso.store.db import metadata

# Column sizes that the code also enforces before writing.
MAX_WORDING = 300  # unanswered_marks.wording
MAX_ACTION = 64  # audit_log.action
MAX_TARGET = 200  # audit_log.target


# -- Cases, their history and the alert outbox (meso.cases, meso.notify.outbox).
escalations_table = sa.Table(
    "escalations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("urgency", sa.String(16), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_phone", sa.String(32)),
    sa.Column("contact_time", sa.String(200)),
    sa.Column("contact_consent", sa.Boolean),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("claimed_by", sa.String(200)),
    sa.Column("resolved_outcome", sa.Text),
    # The conversation's language (en, es), so a staff member who speaks it calls back.
    sa.Column("language", sa.String(8)),
)


events_table = sa.Table(
    "escalation_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "escalation_id", sa.Integer, sa.ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(200)),
    sa.Column("detail", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("dedup_key", sa.String(64), unique=True),
)


outbox_table = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "escalation_id", sa.Integer, sa.ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)



# -- Fact versions under review and the published books (meso.review).
versions_table = sa.Table(
    "fact_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("fact_id", sa.String(64), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("based_on", sa.Integer),
    sa.Column("author", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("reviewer", sa.String(200)),
    sa.Column("reviewed_at", UTCDateTime),
    sa.Column("review_comment", sa.Text),
    sa.UniqueConstraint("fact_id", "number"),
)


books_table = sa.Table(
    "published_books",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
    sa.Column("fact_version_id", sa.Integer),
)



# -- Declined questions (meso.review.unanswered).
unanswered_table = sa.Table(
    "unanswered_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(255), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("not_covered_id", sa.String(64)),
    sa.Column("closest", sa.String(64)),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("asked_at", sa.DateTime, nullable=False),
)



# -- Answer counters (meso.review.answer_counts).
counts_table = sa.Table(
    "answer_counts",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("topic", sa.String(32), primary_key=True),
    sa.Column("outcome", sa.String(16), primary_key=True),
    sa.Column("channel", sa.String(32), primary_key=True),
    sa.Column("language", sa.String(8), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)



# -- Staff marks on grouped questions (meso.review.question_groups).
marks_table = sa.Table(
    "unanswered_marks",
    metadata,
    sa.Column("wording", sa.String(MAX_WORDING), primary_key=True),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("fact_id", sa.String(64)),
    sa.Column("fact_version_id", sa.Integer),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("marked_at", UTCDateTime, nullable=False),
)



# -- SMS state: opt-outs, processed message ids, threads (meso.store.sms_state).
opt_outs_table = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("opted_out_at", sa.DateTime, nullable=False),
)


processed_table = sa.Table(
    "sms_processed",
    metadata,
    sa.Column("message_sid", sa.String(64), primary_key=True),
    sa.Column("response", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


threads_table = sa.Table(
    "sms_threads",
    metadata,
    sa.Column("phone", sa.String(32), primary_key=True),
    sa.Column("pending", sa.Text, nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)



# -- Staff accounts (meso.accounts).
users_table = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
)



# -- API tokens (meso.accounts.api_tokens).
tokens_table = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scopes", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime),
    sa.Column("last_used_at", UTCDateTime),
)



# -- Second factors (meso.accounts.mfa).
totp_table = sa.Table(
    "staff_totp",
    metadata,
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("secret", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("confirmed_at", UTCDateTime),
    sa.Column("last_step", sa.BigInteger),
)


recovery_table = sa.Table(
    "staff_recovery_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code_hash", sa.String(255), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
)



# -- The audit log (meso.accounts.audit).
audit_table = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(MAX_ACTOR), nullable=False),
    sa.Column("action", sa.String(MAX_ACTION), nullable=False),
    sa.Column("target", sa.String(MAX_TARGET)),
    sa.Column("detail", sa.Text),
)



# -- Console sessions (staff/sessions.py).
sessions_table = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False, default=False),
)



# -- Login throttling (staff/throttle.py).
attempts_table = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("ip", sa.String(64), nullable=False),
)


# -- Indexes (as the migrations create them).
sa.Index("ix_escalations_conversation", escalations_table.c.conversation_id, escalations_table.c.status)
sa.Index(
    "ix_escalations_queue", escalations_table.c.status, escalations_table.c.urgency, escalations_table.c.created_at
)
sa.Index("ix_escalations_updated_at", escalations_table.c.updated_at)
sa.Index(
    "ix_escalations_urgency_created_id",
    escalations_table.c.urgency,
    escalations_table.c.created_at,
    escalations_table.c.id,
)
sa.Index("ix_escalation_events_escalation", events_table.c.escalation_id, events_table.c.id)
sa.Index("ix_outbox_due", outbox_table.c.delivered_at, outbox_table.c.next_attempt_at)
sa.Index("ix_outbox_escalation", outbox_table.c.escalation_id)
sa.Index("ix_audit_log_at", audit_table.c.at)
sa.Index("ix_fact_versions_status", versions_table.c.status)
sa.Index("ix_login_attempts_ip", attempts_table.c.ip, attempts_table.c.at)
sa.Index("ix_login_attempts_username", attempts_table.c.username, attempts_table.c.at)
sa.Index("ix_sms_processed_created_at", processed_table.c.created_at)
sa.Index("ix_sms_threads_updated_at", threads_table.c.updated_at)
sa.Index("ix_staff_recovery_codes_user", recovery_table.c.user_id)
sa.Index("ix_staff_sessions_last_seen", sessions_table.c.last_seen_at)
sa.Index("ix_unanswered_questions_asked_at", unanswered_table.c.asked_at)
