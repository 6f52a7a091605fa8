"""The staff's unanswered report: declined questions grouped by wording, and their triage.

Questions are grouped when their content words (`meso.content.wording.content_words`:
one form per meaning, function words dropped) are the same or nearly the same, so "how
long do results last?" and "How long does the result last" are one group. Staff mark a
group as answered by a fact (its wording goes into a draft of that fact), out of scope,
or ignored; a mark is kept per wording, so a new wording that joins a marked group
brings the group back. Groups are computed when read, over the rows kept (retention
purges old questions); marks live in `unanswered_marks` (Alembic revision 0006).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from difflib import SequenceMatcher
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from meso.accounts.audit import shared_engine
from meso.clock import utcnow
from meso.content.wording import content_words, matching_form
from meso.store.tables import MAX_WORDING, marks_table, unanswered_table

ANSWERED, OUT_OF_SCOPE, IGNORED = "answered", "out_of_scope", "ignored"
DECISIONS = (ANSWERED, OUT_OF_SCOPE, IGNORED)
# Two wordings this similar (difflib ratio of their content words) are one group.
NEAR_SAME = 0.8

EXAMPLES = 5

def wording_key(text: str) -> str:
    """The form questions are grouped by: their content words, else their words."""
    return (content_words(text) or matching_form(text) or text.strip().lower())[:MAX_WORDING]


@dataclass(frozen=True)
class Asked:
    """One declined question as the report reads it."""

    id: int
    text: str
    channel: str
    language: str
    asked_at: datetime


@dataclass
class QuestionGroup:
    """Questions asked in the same or nearly the same words."""

    key: str
    wordings: Dict[str, str] = field(default_factory=dict)  # wording key -> an example text
    count: int = 0
    first_seen: Optional[datetime] = None
    last_seen: Optional[datetime] = None
    channels: Dict[str, int] = field(default_factory=dict)
    languages: Dict[str, int] = field(default_factory=dict)
    decision: Optional[str] = None
    fact_id: Optional[str] = None

    @property
    def id(self) -> str:
        """A stable id for the group (of its first wording)."""
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:16]

    @property
    def examples(self) -> List[str]:
        """Up to five of its wordings as patients typed them."""
        return list(self.wordings.values())[:EXAMPLES]

    def add(self, asked: Asked, key: str) -> None:
        self.wordings.setdefault(key, asked.text)
        self.count += 1
        self.first_seen = min(filter(None, (self.first_seen, asked.asked_at)))
        self.last_seen = max(filter(None, (self.last_seen, asked.asked_at)))
        self.channels[asked.channel] = self.channels.get(asked.channel, 0) + 1
        self.languages[asked.language] = self.languages.get(asked.language, 0) + 1


def group_questions(questions: Iterable[Asked]) -> List[QuestionGroup]:
    """Groups questions by wording, newest last-seen first (then by key)."""
    groups: List[QuestionGroup] = []
    by_key: Dict[str, QuestionGroup] = {}
    for asked in sorted(questions, key=lambda q: q.id):
        key = wording_key(asked.text)
        group = by_key.get(key)
        if group is None:
            group = next(
                (g for g in groups if any(SequenceMatcher(None, key, k).ratio() >= NEAR_SAME for k in g.wordings)),
                None,
            )
            if group is None:
                group = QuestionGroup(key)
                groups.append(group)
            by_key[key] = group
        group.add(asked, key)
    return sorted(groups, key=lambda g: (-(g.last_seen.timestamp() if g.last_seen else 0), g.key))


def apply_marks(groups: Sequence[QuestionGroup], marks: Dict[str, Tuple[str, Optional[str]]]) -> None:
    """Sets each group's decision: the one of its wordings, when every wording is marked."""
    for group in groups:
        decided = [marks[key] for key in group.wordings if key in marks]
        if decided and len(decided) == len(group.wordings):
            group.decision, group.fact_id = decided[-1]


class UnansweredReport:
    """Reads the declined questions in groups and records the staff's decisions."""

    def __init__(self, url: str, clock: Callable[[], datetime] = utcnow) -> None:
        self.url = url
        self._clock = clock

    @property
    def engine(self) -> Engine:
        return shared_engine(self.url)

    def high_water(self) -> int:
        """The newest question's id (0 when none): a walk through pages stays on the rows up to it."""
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.max(unanswered_table.c.id))).scalar() or 0)

    def groups(self, max_id: Optional[int] = None, decided: Optional[bool] = False) -> List[QuestionGroup]:
        """The groups, newest first.

        Args:
            max_id: Only questions with an id up to this (a paged walk's high-water mark).
            decided: False: groups still to triage; True: only marked ones; None: all.
        """
        query = sa.select(
            unanswered_table.c.id, unanswered_table.c.text, unanswered_table.c.channel,
            unanswered_table.c.language, unanswered_table.c.asked_at,
        )
        if max_id is not None:
            query = query.where(unanswered_table.c.id <= max_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
            marks = {
                row.wording: (row.decision, row.fact_id) for row in connection.execute(sa.select(marks_table))
            }
        groups = group_questions(Asked(r.id, r.text, r.channel, r.language, r.asked_at) for r in rows)
        apply_marks(groups, marks)
        if decided is None:
            return groups
        return [group for group in groups if (group.decision is not None) == decided]

    def find(self, group_id: str) -> Optional[QuestionGroup]:
        """The group with this id, marked or not."""
        return next((group for group in self.groups(decided=None) if group.id == group_id), None)

    def mark(
        self,
        group: QuestionGroup,
        decision: str,
        actor: str,
        fact_id: Optional[str] = None,
        fact_version_id: Optional[int] = None,
    ) -> None:
        """Records a decision for every wording of the group."""
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}")
        now = self._clock()
        with self.engine.begin() as connection:
            connection.execute(marks_table.delete().where(marks_table.c.wording.in_(list(group.wordings))))
            connection.execute(
                marks_table.insert(),
                [
                    {"wording": key, "decision": decision, "fact_id": fact_id,
                     "fact_version_id": fact_version_id, "actor": actor, "marked_at": now}
                    for key in group.wordings
                ],
            )

    def delete_older_than(self, cutoff: datetime) -> int:
        """Retention: deletes marks made before `cutoff` (their wordings come from patients)."""
        with self.engine.begin() as connection:
            return int(connection.execute(marks_table.delete().where(marks_table.c.marked_at < cutoff)).rowcount or 0)
