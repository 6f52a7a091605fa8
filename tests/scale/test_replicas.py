"""Two Rasa replicas behind no sticky balancer, configured only by environment.

PostgreSQL holds conversations and escalations, Redis the conversation locks; one
action server serves both replicas. One conversation's turns alternate between the
replicas (and two of them arrive at both at once): the context is kept, every
event is stored once, and the call-back case is recorded once.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List

import httpx
import pytest
import sqlalchemy as sa

from devstack.postgres import PostgresServer
from devstack.redis import RedisServer
from devstack.stack import Stack, free_port, make_stack

SENDER = "scale-replicas-1"
PER_SENDER = 12  # above the turns of the alternating conversation


def plain_url(sqlalchemy_url: str) -> str:
    """postgresql://... as an operator writes it in the environment."""
    return sqlalchemy_url.replace("postgresql+psycopg2://", "postgresql://", 1)


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer, redis: RedisServer
) -> Iterator[Dict]:
    """An action server and two Rasa replicas; yields their URLs and databases."""
    tracker_db, escalation_db = plain_url(postgres.new_database()), plain_url(postgres.new_database())
    stack: Stack = make_stack(
        Path(tmp_path_factory.mktemp("replicas")),
        {
            "TRACKER_DB_DIALECT": "postgresql",
            "TRACKER_DB_URL": tracker_db,
            "ESCALATION_DB_URL": escalation_db,
            "LOCK_STORE_TYPE": "redis",
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(redis.port),
            "REDIS_DB": "1",
            "SANIC_WORKERS": "1",
            # Counted in Redis (LOCK_STORE_TYPE=redis), so shared by both replicas.
            "RATE_LIMIT_WINDOW_SECONDS": "120",
            "RATE_LIMIT_PER_SENDER": str(PER_SENDER),
        },
    )
    urls: List[str] = []
    try:
        stack.start_actions()
        for name in ("rasa-a", "rasa-b"):
            stack.env["RASA_PORT"] = str(free_port())
            stack.start_rasa(name=name)
            urls.append(stack.rasa_url)
        yield {"urls": urls, "tracker_db": tracker_db, "escalation_db": escalation_db}
    finally:
        stack.stop_all()


def say(url: str, text: str) -> List[dict]:
    reply = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": SENDER, "message": text}, timeout=60)
    reply.raise_for_status()
    return reply.json()


def text_of(replies: List[dict]) -> str:
    return " ".join(reply.get("text") or "" for reply in replies)


def test_one_conversation_alternating_between_replicas(replicas: Dict) -> None:
    a, b = replicas["urls"]
    texts: List[str] = []

    def turn(url: str, text: str) -> str:
        replies = say(url, text)
        texts.append(text)
        assert replies, f"no reply to {text!r}"
        return text_of(replies)

    assert "cost" in turn(a, "how much does a session cost?").lower()
    # The follow-up reaches the other replica, which knows the last topic.
    assert "cost" in turn(b, "tell me more").lower()
    # The call-back form spans both replicas.
    assert "name" in turn(a, "can someone call me back?").lower()
    assert "phone number" in turn(b, "Maria Lopez").lower()
    assert "good time" in turn(a, "8185550147").lower()
    assert "agree" in turn(b, "weekday mornings").lower()
    assert "Maria Lopez" in turn(a, "yes")
    # Two turns of the same conversation at once, one per replica: the Redis lock
    # store serialises them.
    burst = [(a, "what is mesotherapy?"), (b, "does it hurt?")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert all(pool.map(lambda args: say(*args), burst)), "a concurrent turn got no reply"
    texts.extend(text for _, text in burst)

    tracker = sa.create_engine(replicas["tracker_db"])
    with tracker.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT type_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": SENDER}
        ).all()
    tracker.dispose()
    users = [json.loads(row.data)["text"] for row in rows if row.type_name == "user"]
    assert users[:-2] == texts[:-2] and sorted(users[-2:]) == sorted(texts[-2:]), (
        "a user message was lost or stored twice"
    )
    assert len({row.data for row in rows}) == len(rows), "an event was stored twice"
    # Every turn's reply is stored: a bot event between each user message and the next.
    kinds = "".join("u" if row.type_name == "user" else "b" if row.type_name == "bot" else "" for row in rows)
    assert all("b" in between for between in kinds.split("u")[1:]), "a turn's reply was not stored"

    escalations = sa.create_engine(replicas["escalation_db"])
    with escalations.connect() as connection:
        cases = connection.execute(
            sa.text(
                "SELECT contact_name, contact_phone, contact_consent FROM escalations WHERE conversation_id = :s"
            ),
            {"s": SENDER},
        ).all()
    escalations.dispose()
    assert len(cases) == 1, f"expected one call-back case, found {len(cases)}"
    assert tuple(cases[0]) == ("Maria Lopez", "+18185550147", True)


def test_the_per_sender_limit_holds_across_replicas(replicas: Dict) -> None:
    """Counted per process, two replicas would let a sender send twice the limit."""
    urls = replicas["urls"]
    sender = "scale-limited"

    def status(url: str) -> int:
        body = {"sender": sender, "message": ""}
        return httpx.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60).status_code

    assert [status(urls[number % 2]) for number in range(PER_SENDER)] == [200] * PER_SENDER
    assert [status(url) for url in urls] == [429, 429], "the limit is shared by both replicas"
