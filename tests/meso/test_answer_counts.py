"""Buffered answer counters: added in memory, written to a real SQLite database on flush."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from meso.review.answer_counts import ANSWERED, DECLINED, AnswerCounts, BufferedCounts

DAY = date(2026, 12, 1)


def test_counts_add_up_in_memory_and_reach_the_database_on_flush(tmp_path: Path) -> None:
    counts = AnswerCounts(f"sqlite:///{tmp_path / 'counts.db'}", clock=lambda: DAY)
    buffered = BufferedCounts(counts, interval=3600)
    for _ in range(3):
        buffered.add(ANSWERED, "cost", "rest", "en")
    buffered.add(DECLINED, "", "sms", "en", n=2)
    assert counts.since(DAY) == []  # nothing written per turn
    assert buffered.flush() == 2
    got = {(c.outcome, c.topic, c.channel): c.count for c in counts.since(DAY)}
    assert got == {(ANSWERED, "cost", "rest"): 3, (DECLINED, "", "sms"): 2}
    buffered.add(ANSWERED, "cost", "rest", "en")
    buffered.flush()
    assert {c.topic: c.count for c in counts.since(DAY) if c.outcome == ANSWERED} == {"cost": 4}


def test_counts_that_cannot_be_written_stay_pending(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the database directory should be", encoding="utf-8")
    counts = AnswerCounts(f"sqlite:///{blocked / 'counts.db'}", clock=lambda: DAY)
    buffered = BufferedCounts(counts, interval=3600)
    buffered.add(ANSWERED, "pain", "rest", "en", n=2)
    assert buffered.flush() == 0
    assert buffered.pending() == 2
