"""Fuzzes the REST channel: raw bodies, any JSON, and hostile messages, with and without the token."""

from __future__ import annotations

import time
from typing import Dict, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.stack import Stack
from tests.fuzz.conftest import FUZZ, REST_TOKEN, FuzzRecord, assert_healthy
from tests.fuzz.strategies import dumps, json_values, messages, texts

SENDERS = [f"fuzz-rest-{number}" for number in range(40)]
AUTH = {"Authorization": f"Bearer {REST_TOKEN}"}
HEADERS = st.sampled_from([AUTH, AUTH, AUTH, AUTH, {}, {"Authorization": "Bearer wrong"}, {"Authorization": REST_TOKEN}])
envelopes = st.fixed_dictionaries(
    {"sender": st.one_of(st.sampled_from(SENDERS), texts, json_values), "message": messages},
    optional={"metadata": json_values, "input_channel": texts, "extra": json_values},
)
bodies = st.one_of(st.binary(max_size=300), json_values.map(dumps), envelopes.map(dumps), envelopes.map(dumps))


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=120) as client:
        yield client


def test_fuzz_rest(stack: Stack, record: FuzzRecord, http: httpx.Client) -> None:
    tally = record.target("rest")
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    started = time.monotonic()

    @settings(FUZZ, max_examples=3200)
    @given(body=bodies, headers=HEADERS)
    def one(body: bytes, headers: Dict[str, str]) -> None:
        reply = http.post(url, content=body, headers={"Content-Type": "application/json", **headers})
        tally.saw(reply.status_code)
        assert reply.status_code in (200, 400, 403, 413, 429), (reply.status_code, reply.text[:300])
        if headers != AUTH:
            assert reply.status_code == 403
        if reply.status_code in (200, 429):
            answers = reply.json()
            assert isinstance(answers, list) and all(isinstance(a, dict) for a in answers)
            assert all(isinstance(a.get("text", ""), str) for a in answers)
            if reply.status_code == 429:
                assert answers and "911" in answers[0]["text"]

    one()
    tally.seconds += time.monotonic() - started
    assert_healthy(stack)
