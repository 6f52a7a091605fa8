"""The escalations list pages through a signed keyset cursor given in a Link header.

Paging through everything returns every case exactly once, in queue order, also while
new cases arrive (inserted between pages and by a concurrent writer), on SQLite and on
PostgreSQL.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from meso.cases.escalations import EscalationStore
from meso.contract import URGENCIES
from meso.settings import Settings
from tests.staff.conftest import API_TOKEN, BASE_URL, FakeClock, make_app, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
REASON = {"emergency": "emergency", "urgent": "complication", "routine": "booking"}
_serial = itertools.count()


def add(store: EscalationStore, clock: FakeClock, urgency: str, minutes_ago: float, channel: str = "socketio") -> int:
    """One case in its own conversation (no merging), created `minutes_ago` before the clock."""
    number = next(_serial)
    case = store.record(
        f"page-{number}",
        channel,
        urgency,
        (REASON[urgency],),
        f"message {number}",
        at=clock() - timedelta(minutes=minutes_ago),
    )
    return case.id


def next_link(response: httpx.Response) -> Optional[str]:
    links = response.links.get("next")
    return links["url"] if links else None


def walk(client: TestClient, url: str, between: Any = None) -> Tuple[List[int], int]:
    """Follows rel="next" to the end; returns the ids in order and the number of pages."""
    ids: List[int] = []
    pages = 0
    while url:
        response = client.get(url, headers=AUTH)
        assert response.status_code == 200, response.text
        assert isinstance(response.json(), list)
        ids += [item["id"] for item in response.json()]
        pages += 1
        url = next_link(response)
        if between is not None and url:
            between()
    return ids, pages


def seed(store: EscalationStore, clock: FakeClock) -> List[int]:
    """Eleven cases of all urgencies, with ties in created_at (ordered by id then)."""
    ids = []
    for minutes, urgency in [(50, "routine"), (40, "urgent"), (30, "routine"), (30, "routine"), (20, "emergency"),
                             (20, "urgent"), (20, "urgent"), (10, "routine"), (5, "emergency"), (3, "urgent"),
                             (1, "routine")]:
        ids.append(add(store, clock, urgency, minutes))
    return ids


def queue_order(store: EscalationStore, **filters: Any) -> List[int]:
    return [case.id for case in store.list(limit=10_000, **filters)]


def test_pages_follow_the_link_header_and_cover_the_queue_once(
    client: TestClient, store: EscalationStore, clock: FakeClock
) -> None:
    seed(store, clock)
    expected = queue_order(store)
    first = client.get("/api/escalations?limit=4", headers=AUTH)
    link = first.headers["link"]
    assert link.startswith(f"<{BASE_URL}/api/escalations?") and link.endswith('>; rel="next"')
    query = parse_qs(urlsplit(next_link(first) or "").query)
    assert query["limit"] == ["4"] and len(query["cursor"]) == 1
    ids, pages = walk(client, "/api/escalations?limit=4")
    assert ids == expected and pages == 3
    # Default order is what clients read before paging existed: urgency, then oldest first.
    urgencies = [store.get(case_id).urgency for case_id in ids]
    assert urgencies == sorted(urgencies, key=URGENCIES.index)
    # One page holding everything has no Link; an exact fit has none either.
    assert "link" not in client.get("/api/escalations?limit=500", headers=AUTH).headers
    assert "link" not in client.get("/api/escalations?limit=11", headers=AUTH).headers
    assert walk(client, "/api/escalations?limit=1")[1] == 11


def test_filters_conversation_and_updated_since_page_too(
    client: TestClient, store: EscalationStore, clock: FakeClock
) -> None:
    seed(store, clock)
    case = store.get(queue_order(store)[3])
    one = client.get(f"/api/escalations?conversation_id={case.conversation_id}", headers=AUTH).json()
    assert [item["id"] for item in one] == [case.id]
    assert client.get("/api/escalations?conversation_id=nobody", headers=AUTH).json() == []
    since = (clock() - timedelta(minutes=20)).isoformat()
    expected = [c.id for c in store.list(limit=100) if c.updated_at >= clock() - timedelta(minutes=20)]
    assert len(expected) == 7
    ids, pages = walk(client, f"/api/escalations?updated_since={quote(since)}&limit=2")
    assert ids == expected and pages == 4
    # A naive timestamp is read as UTC.
    naive = (clock() - timedelta(minutes=20)).replace(tzinfo=None).isoformat()
    assert walk(client, f"/api/escalations?updated_since={naive}&limit=3")[0] == expected
    routine, _ = walk(client, "/api/escalations?urgency=routine&status=open&limit=2")
    assert routine == queue_order(store, urgency="routine", status="open")


def test_cursors_are_tamper_evident_and_bound_to_their_filters(
    client: TestClient, store: EscalationStore, clock: FakeClock, settings: Settings
) -> None:
    seed(store, clock)
    url = next_link(client.get("/api/escalations?urgency=routine&limit=2", headers=AUTH)) or ""
    cursor = parse_qs(urlsplit(url).query)["cursor"][0]
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    for bad in (flipped, "x", cursor + "x", "e30.abc"):
        response = client.get("/api/escalations", params={"urgency": "routine", "limit": 2, "cursor": bad}, headers=AUTH)
        assert response.status_code == 400 and "Invalid cursor" in response.json()["detail"], bad
    other = client.get("/api/escalations", params={"urgency": "urgent", "cursor": cursor}, headers=AUTH)
    assert other.status_code == 400 and "other filters" in other.json()["detail"]
    # Another console secret: not this console's cursor.
    foreign = make_app(make_settings(Path(settings.data_dir), staff_session_secret="another-secret-" + "y" * 20), clock)
    with TestClient(foreign, base_url=BASE_URL) as stranger:
        assert stranger.get(url, headers=AUTH).status_code == 400
    # The page size may change between pages.
    assert client.get(url.replace("limit=2", "limit=3"), headers=AUTH).status_code == 200


@pytest.mark.parametrize("limit", ["0", "501", "10000", "-1", "ten"])
def test_page_size_is_limited_with_a_clear_error(client: TestClient, limit: str) -> None:
    response = client.get(f"/api/escalations?limit={limit}", headers=AUTH)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["query", "limit"]
    if limit in ("501", "10000"):
        assert "500" in error["msg"]


def test_openapi_documents_paging(client: TestClient) -> None:
    spec = client.get("/api/openapi.json", headers=AUTH).json()
    operation = spec["paths"]["/api/escalations"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"cursor", "conversation_id", "updated_since", "limit", "status", "urgency", "reason", "channel"} <= names
    assert "Link" in operation["responses"]["200"]["headers"]
    assert {"400", "401", "403", "422"} <= set(operation["responses"])
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")["schema"]
    assert limit["maximum"] == 500 and limit["minimum"] == 1
    assert 'rel="next"' in spec["info"]["description"]


# -- while new cases arrive --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def paging_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tuple[TestClient, EscalationStore, FakeClock]]:
    overrides: Dict[str, Any] = {}
    if request.param == "postgresql":
        overrides["escalation_db_url"] = request.getfixturevalue("postgres").new_database()
    settings = make_settings(tmp_path, **overrides)
    clock = FakeClock()
    store = EscalationStore(settings.escalation_url, alert_channels=(), clock=clock)
    with TestClient(make_app(settings, clock), base_url=BASE_URL) as client:
        yield client, store, clock


def test_new_cases_between_pages_neither_repeat_nor_hide_a_case(
    paging_app: Tuple[TestClient, EscalationStore, FakeClock]
) -> None:
    client, store, clock = paging_app
    seed(store, clock)
    before = queue_order(store)
    added: List[int] = []

    def arrivals() -> None:
        # Before and after the cursor in queue order: a new emergency sorts first, a new
        # routine last, and one is created "in the past" (a spool replay).
        for urgency, minutes in (("emergency", 0), ("routine", 0), ("urgent", 45)):
            added.append(add(store, clock, urgency, minutes))

    ids, pages = walk(client, "/api/escalations?limit=3", between=arrivals)
    assert pages == 4 and ids == before  # exactly the cases of when the walk began, in order
    assert len(added) == 9
    again, _ = walk(client, "/api/escalations?limit=3")
    assert sorted(again) == sorted(before + added) and again == queue_order(store)


def test_a_concurrent_writer_does_not_disturb_a_walk(
    paging_app: Tuple[TestClient, EscalationStore, FakeClock]
) -> None:
    client, store, clock = paging_app
    for number in range(60):
        add(store, clock, URGENCIES[number % 3], 120 - number)
    before = queue_order(store)
    stop = threading.Event()
    written: List[int] = []

    def writer() -> None:
        number = 0
        while not stop.is_set():
            written.append(add(store, clock, URGENCIES[number % 3], (number * 7) % 130))
            number += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        ids, pages = walk(client, "/api/escalations?limit=7")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert written, "the writer inserted nothing during the walk"
    assert len(ids) == len(set(ids)), "a case came twice"
    assert set(before) <= set(ids), "a case that existed before the walk is missing"
    assert set(ids) <= set(before) | set(written)
    assert ids == [i for i in queue_order(store) if i in set(ids)], "not in queue order"
    assert pages >= 9
