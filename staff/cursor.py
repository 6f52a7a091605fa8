"""Opaque, tamper-evident page cursors for the escalations API.

A cursor carries the queue key of the last case sent (urgency position, created_at, id),
the highest case id when the walk began (cases created later are not part of it), and a
digest of the filters it was made for. It is signed (HMAC-SHA256 with the console's
secret), so a client can neither forge a position nor reuse a cursor with other filters.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from itsdangerous import BadSignature, URLSafeSerializer

from meso.cases.escalations import QueueKey

CURSOR_VERSION = 1
MAX_CURSOR_LENGTH = 512


class InvalidCursor(ValueError):
    """The cursor was not made by this console, or for other filters."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts."""

    after: QueueKey
    max_id: int


def make_serializer(secret: str) -> URLSafeSerializer:
    """The cursor serializer (its own salt, SHA-256)."""
    return URLSafeSerializer(secret, salt="api-cursor", signer_kwargs={"digest_method": hashlib.sha256})


def filters_digest(filters: Mapping[str, Any]) -> str:
    """A short digest of the filters that are set (binds a cursor to its query)."""
    canonical = json.dumps(
        {key: str(value) for key, value in sorted(filters.items()) if value is not None}, sort_keys=True
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def encode(serializer: URLSafeSerializer, cursor: Cursor, filters: Mapping[str, Any]) -> str:
    """The cursor as URL-safe text."""
    position, created_at, case_id = cursor.after
    payload = {
        "v": CURSOR_VERSION,
        "k": [position, created_at.isoformat(), case_id],
        "m": cursor.max_id,
        "f": filters_digest(filters),
    }
    return str(serializer.dumps(payload))


def decode(serializer: URLSafeSerializer, text: str, filters: Mapping[str, Any]) -> Cursor:
    """The cursor in `text`.

    Raises:
        InvalidCursor: Not signed by this console, malformed, or made for other filters.
    """
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("the cursor is too long")
    try:
        payload = serializer.loads(text)
        position, created_at, case_id = payload["k"]
        after: QueueKey = (int(position), datetime.fromisoformat(created_at), int(case_id))
        max_id = int(payload["m"])
        version, digest = payload["v"], payload["f"]
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvalidCursor("the cursor was not issued by this console") from exc
    if version != CURSOR_VERSION or after[1].tzinfo is None:
        raise InvalidCursor("the cursor was not issued by this console")
    if digest != filters_digest(filters):
        raise InvalidCursor("the cursor belongs to a query with other filters")
    return Cursor(after, max_id)
