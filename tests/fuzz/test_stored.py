"""After the fuzzers: what Rasa stored is clean, and no forged command got through."""

from __future__ import annotations

from devstack.stack import Stack
from meso.guard.hygiene import FIXED_PAYLOADS
from tests.fuzz.conftest import FuzzRecord, assert_healthy
from tests.hostile.checks import is_clean
from tests.support.stores import all_user_texts


def test_every_stored_message_is_clean_and_only_our_payloads_are_commands(stack: Stack, record: FuzzRecord) -> None:
    stored = all_user_texts(stack)
    assert stored, "the fuzzers ran first and reached Rasa"
    assert [text for text in stored if not is_clean(text)] == []
    assert [text for text in stored if text.startswith("/") and text not in FIXED_PAYLOADS] == []
    record.extra["nlu_turns"] = len(stored)
    assert_healthy(stack)
