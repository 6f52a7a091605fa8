"""Staff alerts: what an alert says, and the webhook and email senders.

An alert tells staff that a case is waiting and how urgent it is. It never carries
health information: no message text, no name, no phone number. Staff read the case in
the console, behind its login.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Dict, Mapping, Optional, Protocol, Tuple

import httpx

from meso.cases.alerting import EMAIL, WEBHOOK, alert_payload, configured_channels
from meso.settings import Settings

__all__ = ["EMAIL", "WEBHOOK", "alert_payload", "configured_channels"]  # what a case's alert is: meso.cases.alerting


SIGNATURE_HEADER = "X-Signature-256"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
DELIVERY_HEADER = "X-Alert-Delivery"
# How old a signed request may be before a receiver should refuse it as a replay.
SIGNATURE_TOLERANCE_S = 300


class AlertError(Exception):
    """A delivery failed; the message says why without any patient detail."""


class AlertSender(Protocol):
    """Delivers one alert payload; raises AlertError (or OSError) on failure."""

    def send(self, payload: Mapping[str, Any], delivery_id: int) -> None:
        """Sends the alert for `payload`; `delivery_id` lets receivers drop repeats."""


NO_CHANNEL_WARNING = (
    "No alert channel configured (set ALERT_WEBHOOK_URL, or SMTP_HOST and ALERT_EMAIL_TO): "
    "risky cases wait in the staff console's queue and nobody is alerted."
)


def channel_status(settings: Settings) -> Dict[str, Any]:
    """The alert channels for /healthz: which are configured, and a warning when none is."""
    channels = configured_channels(settings)
    status: Dict[str, Any] = {"channels": list(channels), "configured": bool(channels)}
    if not channels:
        status["warning"] = NO_CHANNEL_WARNING
    return status


def start_banner(settings: Settings) -> Optional[str]:
    """The banner `make run` prints at start when no alert channel is configured."""
    if configured_channels(settings):
        return None
    rule = "!" * 78
    return f"{rule}\n!! WARNING: {NO_CHANNEL_WARNING}\n{rule}"


LANGUAGE_NAMES = {"en": "English", "es": "Spanish (español)"}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-Signature-256 value: HMAC-SHA256 over `<timestamp>.<raw body>`."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    now: Optional[float] = None,
    tolerance: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """What a receiver checks: a fresh timestamp and a matching signature.

    Args:
        secret: The shared ALERT_WEBHOOK_SECRET.
        body: The raw request body.
        timestamp: The X-Signature-Timestamp header (Unix seconds).
        signature: The X-Signature-256 header.
        now: Current Unix time; defaults to time.time().
        tolerance: Largest accepted clock difference in seconds.

    Returns:
        True when the request is authentic and not a replay of an old one.
    """
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


@dataclass(frozen=True)
class WebhookSender:
    """POSTs the alert as signed JSON to ALERT_WEBHOOK_URL."""

    url: str
    secret: str
    timeout: float = 5.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise ValueError("ALERT_WEBHOOK_URL must be an http(s) URL")
        if not self.secret:
            raise ValueError("ALERT_WEBHOOK_SECRET must be set when ALERT_WEBHOOK_URL is")

    def send(self, payload: Mapping[str, Any], delivery_id: int) -> None:
        """Posts the payload; any status other than 2xx is a failure."""
        body = json.dumps(
            {**payload, "delivery_id": delivery_id}, sort_keys=True, separators=(",", ":")
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            DELIVERY_HEADER: str(delivery_id),
        }
        try:
            reply = httpx.post(
                self.url, content=body, headers=headers, timeout=self.timeout, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            raise AlertError(f"webhook unreachable: {type(exc).__name__}") from exc
        if not 200 <= reply.status_code < 300:
            raise AlertError(f"webhook answered HTTP {reply.status_code}")


def email_subject(payload: Mapping[str, Any]) -> str:
    """A short subject, e.g. "[urgent] Escalation #12: complication"."""
    reasons = ", ".join(payload.get("reasons") or ()) or "review"
    return f"[{payload['urgency']}] Escalation #{payload['escalation_id']}: {reasons}"


def email_body(payload: Mapping[str, Any]) -> str:
    """The plain-text body: codes and the console link, no patient details."""
    return (
        f"Escalation #{payload['escalation_id']} is waiting in the staff console.\n\n"
        f"Urgency:  {payload['urgency']}\n"
        f"Reasons:  {', '.join(payload.get('reasons') or ())}\n"
        f"Channel:  {payload['channel']}\n"
        f"Language: {LANGUAGE_NAMES.get(str(payload.get('language')), 'not known')}\n"
        f"Opened:   {payload['created_at']}\n"
        f"Case:     {payload['link']}\n\n"
        "Patient details are only in the staff console.\n"
    )


@dataclass(frozen=True)
class EmailSender:
    """Sends the alert by SMTP, with optional STARTTLS and login."""

    host: str
    port: int
    sender: str
    recipients: Tuple[str, ...]
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0

    def send(self, payload: Mapping[str, Any], delivery_id: int) -> None:
        """Sends one email to every recipient."""
        message = EmailMessage()
        message["Subject"] = email_subject(payload)
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(idstring=f"alert-{delivery_id}")
        message[DELIVERY_HEADER] = str(delivery_id)
        message.set_content(email_body(payload))
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise AlertError(f"email not sent: {type(exc).__name__}") from exc


def senders_from_settings(settings: Settings) -> Dict[str, AlertSender]:
    """One sender per configured channel; raises ValueError on a half-configured one."""
    senders: Dict[str, AlertSender] = {}
    for channel in configured_channels(settings):
        if channel == WEBHOOK:
            senders[WEBHOOK] = WebhookSender(settings.alert_webhook_url, settings.alert_webhook_secret)
        else:
            senders[EMAIL] = EmailSender(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.alert_email_from or "assistant@localhost",
                recipients=tuple(settings.alert_email_to),
                user=settings.smtp_user,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
            )
    return senders


if __name__ == "__main__":  # `make run`: say at start when nobody would be alerted
    from meso.settings import get_settings

    banner = start_banner(get_settings())
    if banner:
        print(banner, flush=True)
