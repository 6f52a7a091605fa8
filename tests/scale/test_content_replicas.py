"""Published means live everywhere: PostgreSQL, two action servers, two Rasa replicas.

Each Rasa replica calls its own action server; all share PostgreSQL (conversations,
escalations, published facts). Each conversation stays on one replica, so no shared lock
store is needed here (tests/scale/test_replicas.py covers Redis). A clinician's approval through the
review store is served by both replicas within 2 s, with no restart; the approval-to-
live time is printed. Then both action servers restart and still serve it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from devstack.postgres import PostgresServer
from devstack.stack import Stack, free_port, make_stack
from meso.content.facts import load_facts
from meso.review.fact_versions import FactVersionStore
from meso.settings import PROJECT_ROOT
from tests.scale.test_replicas import plain_url
from tests.support.content_loop import FACT, QUESTION, staff_accounts, texts, wait_for_answer

SEED = PROJECT_ROOT / "facts" / "facts.yml"
ANSWER = load_facts(SEED).get(FACT).web  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def replicas(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresServer
) -> Iterator[Dict]:
    escalation_db = plain_url(postgres.new_database())
    base = make_stack(
        Path(tmp_path_factory.mktemp("content-replicas")),
        {
            "TRACKER_DB_DIALECT": "postgresql",
            "TRACKER_DB_URL": plain_url(postgres.new_database()),
            "ESCALATION_DB_URL": escalation_db,
            "SANIC_WORKERS": "1",
        },
    )
    stacks: List[Stack] = []
    try:
        for name in ("a", "b"):
            stack = Stack(data_dir=base.data_dir / name, env=dict(base.env))
            stack.data_dir.mkdir(parents=True, exist_ok=True)
            port = free_port()
            stack.env.update({
                "ACTION_SERVER_PORT": str(port), "ACTION_SERVER_URL": f"http://127.0.0.1:{port}/webhook",
                "RASA_PORT": str(free_port()),
            })
            stack.start_actions()
            stack.start_rasa()
            stacks.append(stack)
        yield {"stacks": stacks, "escalation_db": escalation_db}
    finally:
        for stack in stacks:
            stack.stop_all()


def test_an_approval_is_live_on_every_replica_within_2_s(replicas: Dict) -> None:
    stacks: List[Stack] = replicas["stacks"]
    for stack in stacks:
        assert ANSWER not in texts(stack.say(f"before-{stack.env['RASA_PORT']}", QUESTION))
    url = replicas["escalation_db"].replace("postgresql://", "postgresql+psycopg2://", 1)
    staff_accounts(url, {"nurse": "staff", "drp": "clinician"})
    store = FactVersionStore(url, SEED)
    current = store.published_version(FACT)
    assert current is not None
    draft = store.save({**current.body, "questions": [*current.body["questions"], QUESTION]}, "nurse", submit=True)

    started = time.monotonic()
    store.approve(draft.id, "drp", "clinician")
    times = [
        wait_for_answer(lambda stack=stack: texts(stack.say(f"after-{stack.env['RASA_PORT']}", QUESTION)), ANSWER)
        for stack in stacks
    ]
    live = time.monotonic() - started
    print(f"\napproval to live answer (PostgreSQL, two replicas): {live:.2f} s (per replica {times})")
    assert live < 2.0, f"the approved answer took {live:.2f} s to reach both replicas"

    # It survives restarts: the action servers read it back from the database.
    for stack in stacks:
        stack.stop("actions")
        stack.start_actions()
        assert ANSWER in texts(stack.say(f"restarted-{stack.env['RASA_PORT']}", QUESTION))
