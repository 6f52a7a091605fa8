"""Settings read from the environment, with `.env` as a fallback.

A variable set in the process environment always wins over `.env`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Optional, Tuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def read_dotenv(path: Path) -> Dict[str, str]:
    """Parses KEY=VALUE lines of a `.env` file; missing file gives {}."""
    values: Dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values


def load_dotenv(path: Optional[Path] = None) -> None:
    """Copies `.env` values into os.environ where not already set."""
    for key, value in read_dotenv(path or PROJECT_ROOT / ".env").items():
        os.environ.setdefault(key, value)


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _lock_store_redis_url() -> str:
    """redis:// URL of Rasa's Redis lock store (endpoints.yml), or "" when the lock store is not Redis."""
    if _env("LOCK_STORE_TYPE").strip().lower() != "redis":
        return ""
    return f"redis://{_env('REDIS_HOST', '127.0.0.1')}:{_env('REDIS_PORT', '6379')}/{_env('REDIS_DB', '1')}"


def _csv(value: str) -> Tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """Every endpoint and secret the project uses, with embedded defaults."""

    data_dir: Path = field(default_factory=lambda: Path(_env("DATA_DIR", str(PROJECT_ROOT / "var"))))
    facts_dir: Path = field(default_factory=lambda: Path(_env("FACTS_DIR", str(PROJECT_ROOT / "facts"))))
    escalation_db_url: str = field(default_factory=lambda: _env("ESCALATION_DB_URL"))
    clinic_phone: str = field(default_factory=lambda: _env("CLINIC_PHONE"))
    staff_api_token: str = field(default_factory=lambda: _env("STAFF_API_TOKEN"))
    staff_session_secret: str = field(default_factory=lambda: _env("STAFF_SESSION_SECRET"))
    staff_cookie_secure: bool = field(default_factory=lambda: _env("STAFF_COOKIE_SECURE", "true").lower() != "false")
    alert_webhook_url: str = field(default_factory=lambda: _env("ALERT_WEBHOOK_URL"))
    alert_webhook_secret: str = field(default_factory=lambda: _env("ALERT_WEBHOOK_SECRET"))
    smtp_host: str = field(default_factory=lambda: _env("SMTP_HOST"))
    smtp_port: int = field(default_factory=lambda: int(_env("SMTP_PORT", "25")))
    smtp_user: str = field(default_factory=lambda: _env("SMTP_USER"))
    smtp_password: str = field(default_factory=lambda: _env("SMTP_PASSWORD"))
    smtp_starttls: bool = field(default_factory=lambda: _env("SMTP_STARTTLS", "false").lower() == "true")
    alert_email_from: str = field(default_factory=lambda: _env("ALERT_EMAIL_FROM"))
    alert_email_to: Tuple[str, ...] = field(default_factory=lambda: _csv(_env("ALERT_EMAIL_TO")))
    twilio_auth_token: str = field(default_factory=lambda: _env("TWILIO_AUTH_TOKEN"))
    sms_public_url: str = field(default_factory=lambda: _env("SMS_PUBLIC_URL"))
    allowed_origins: Tuple[str, ...] = field(
        default_factory=lambda: _csv(_env("ALLOWED_ORIGINS", "http://127.0.0.1:5005,http://localhost:5005"))
    )
    retention_days: int = field(default_factory=lambda: int(_env("RETENTION_DAYS", "90")))
    # Channels: "local" opens the REST channel without a token (loopback development).
    assistant_mode: str = field(default_factory=lambda: _env("ASSISTANT_MODE", "local").strip().lower())
    rest_api_token: str = field(default_factory=lambda: _env("REST_API_TOKEN"))
    # Signs widget session ids; falls back to STAFF_SESSION_SECRET (see channels.socketio).
    widget_session_secret: str = field(default_factory=lambda: _env("WIDGET_SESSION_SECRET"))
    tracker_db_url: str = field(default_factory=lambda: _env("TRACKER_DB_URL"))
    staff_host: str = field(default_factory=lambda: _env("STAFF_HOST", "127.0.0.1"))
    staff_port: int = field(default_factory=lambda: int(_env("STAFF_PORT", "8080")))
    staff_allowed_hosts: Tuple[str, ...] = field(
        default_factory=lambda: _csv(_env("STAFF_ALLOWED_HOSTS", "127.0.0.1,localhost"))
    )
    staff_session_idle_minutes: int = field(
        default_factory=lambda: int(_env("STAFF_SESSION_IDLE_MINUTES", "30"))
    )
    staff_session_max_hours: int = field(default_factory=lambda: int(_env("STAFF_SESSION_MAX_HOURS", "12")))
    staff_login_window_minutes: int = field(
        default_factory=lambda: int(_env("STAFF_LOGIN_WINDOW_MINUTES", "15"))
    )
    staff_login_max_failures: int = field(default_factory=lambda: int(_env("STAFF_LOGIN_MAX_FAILURES", "5")))
    staff_login_max_failures_per_ip: int = field(
        default_factory=lambda: int(_env("STAFF_LOGIN_MAX_FAILURES_PER_IP", "20"))
    )
    # Rate limits of the chat channels (meso.guard.rate_limit): messages per window; 0 = off.
    rate_limit_window_seconds: float = field(default_factory=lambda: float(_env("RATE_LIMIT_WINDOW_SECONDS", "60")))
    rate_limit_per_sender: int = field(default_factory=lambda: int(_env("RATE_LIMIT_PER_SENDER", "20")))
    rate_limit_per_ip: int = field(default_factory=lambda: int(_env("RATE_LIMIT_PER_IP", "60")))
    rate_limit_sms_per_ip: int = field(default_factory=lambda: int(_env("RATE_LIMIT_SMS_PER_IP", "600")))
    # Where the limits are counted: RATE_LIMIT_REDIS_URL, else the lock store's Redis when
    # LOCK_STORE_TYPE=redis (several processes), else "" (in this process).
    rate_limit_redis_url: str = field(default_factory=lambda: _env("RATE_LIMIT_REDIS_URL") or _lock_store_redis_url())
    # The action server's webhook (endpoints.yml), probed by the Rasa server's action guard.
    action_server_url: str = field(default_factory=lambda: _env("ACTION_SERVER_URL"))
    # Turn-wide budget of one action run, seen from the Rasa server.
    action_timeout_seconds: float = field(default_factory=lambda: float(_env("ACTION_TIMEOUT_SECONDS", "3.0")))
    # How long the Rasa server waits for its tracker store at start-up before exiting.
    tracker_startup_wait_seconds: float = field(
        default_factory=lambda: float(_env("TRACKER_STARTUP_WAIT_SECONDS", "10.0"))
    )
    # How often the action server replays spooled cases once the database is back.
    spool_drain_seconds: float = field(default_factory=lambda: float(_env("SPOOL_DRAIN_SECONDS", "30")))
    log_level: str = field(default_factory=lambda: _env("LOG_LEVEL", "INFO").upper())
    # Largest HTTP request body the Rasa server reads at all (the channels cap lower).
    max_request_bytes: int = field(default_factory=lambda: int(_env("MAX_REQUEST_BYTES", str(1024 * 1024))))

    @property
    def escalation_url(self) -> str:
        """Escalation database URL; SQLite in the data folder by default."""
        return self.escalation_db_url or f"sqlite:///{self.data_dir / 'escalations.db'}"

    @property
    def tracker_url(self) -> str:
        """SQLAlchemy URL of Rasa's SQL tracker store; SQLite `rasa.db` in the data folder by default.

        Raises:
            ValueError: TRACKER_DB_URL is set but is not a full URL (e.g. a bare host name,
                which Rasa accepts but the staff console cannot read without a dialect).
        """
        if not self.tracker_db_url:
            return f"sqlite:///{self.data_dir / 'rasa.db'}"
        if "://" not in self.tracker_db_url:
            raise ValueError("TRACKER_DB_URL must be a full URL such as postgresql://user:pw@host:5432/rasa")
        return self.tracker_db_url


def get_settings() -> Settings:
    """Settings from the environment after merging `.env` underneath it."""
    load_dotenv()
    return Settings()
