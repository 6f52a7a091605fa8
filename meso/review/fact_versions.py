"""Facts edited by staff and published by a clinician: versions, review and the published book.

Every save of a fact is a new version (never changed afterwards, except its review
status). Staff save drafts and send them for review; a clinician (or an admin) approves,
which publishes, or sends the version back with a comment. Nobody reviews their own
version: a clinician's edit needs a second clinician or an admin. Approval writes the
whole facts book, with the fact's `reviewed_by` and `reviewed_on` set to the reviewer
and the day, as a new row of `published_books`; the newest row is what patients get
(`meso.review.published_facts`). Every save and every approval validates the assembled book with
the facts loader (`meso.content.facts.parse_book`), so the console refuses what the file would.

On a new install `facts/facts.yml` is the seed: the first use imports it as version 1 of
each fact and book 1, attributed to the file. The schema lives in Alembic revision 0006.

Over 300 lines on purpose: the review workflow's states and transitions are one unit, each guarded in one transaction.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from meso.accounts.audit import shared_engine
from meso.clock import utcnow
from meso.content.facts import FactBook, FactsError, display_path, parse_book, read_facts_data
from meso.store.tables import books_table, versions_table

DRAFT, IN_REVIEW, SENT_BACK, PUBLISHED, SUPERSEDED, REPLACED = (
    "draft", "in_review", "sent_back", "published", "superseded", "replaced"
)
OPEN_STATUSES = (DRAFT, IN_REVIEW, SENT_BACK)
REVIEW_ROLES = frozenset({"clinician", "admin"})
# The fields of a fact a version carries; reviewed_by and reviewed_on are set on approval.
EDITABLE_KEYS = ("id", "topic", "questions", "areas", "web", "sms", "source")
PENDING_REVIEWER = "pending clinician review"
MAX_COMMENT = 2000


class ReviewRefused(PermissionError):
    """The change is not allowed (role, own version, wrong status, stale version)."""


class UnknownVersion(LookupError):
    """No version has this id."""


@dataclass(frozen=True)
class FactVersion:
    """One saved version of a fact."""

    id: int
    fact_id: str
    number: int
    status: str
    body: Dict[str, Any]
    based_on: Optional[int]
    author: str
    created_at: datetime
    note: Optional[str]
    reviewer: Optional[str]
    reviewed_at: Optional[datetime]
    review_comment: Optional[str]


@dataclass(frozen=True)
class PublishedBook:
    """The newest published book: its sequence number, raw data and validated form."""

    seq: int
    data: Dict[str, Any]
    book: FactBook


def seed_author(seed_path: Path) -> str:
    """Who the seed's versions are attributed to: the file."""
    return f"{display_path(seed_path)} (seed)"


def editable(entry: Dict[str, Any]) -> Dict[str, Any]:
    """The fields of a fact entry a version keeps, in file order (empty areas dropped)."""
    body = {key: entry[key] for key in EDITABLE_KEYS if key in entry and entry[key] not in (None, [])}
    return json.loads(json.dumps(body))  # plain JSON types only


def as_yaml(body: Dict[str, Any]) -> str:
    """A fact entry as facts.yml spells it (for diffs and export)."""
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)


def diff_lines(before: Optional[Dict[str, Any]], after: Dict[str, Any]) -> List[str]:
    """A unified diff of two versions' YAML (text lines; the page escapes them)."""
    old = as_yaml(before).splitlines() if before else []
    return list(difflib.unified_diff(old, as_yaml(after).splitlines(), "published", "this version", lineterm=""))


def with_fact(data: Dict[str, Any], entry: Dict[str, Any]) -> Dict[str, Any]:
    """The book `data` with `entry` replacing the fact of the same id, or added after the
    last fact of its topic (order within a topic is what "tell me more" follows)."""
    facts = [dict(fact) for fact in data.get("facts") or []]
    ids = [fact.get("id") for fact in facts]
    if entry.get("id") in ids:
        facts[ids.index(entry["id"])] = entry
    else:
        same_topic = [i for i, fact in enumerate(facts) if fact.get("topic") == entry.get("topic")]
        facts.insert(same_topic[-1] + 1 if same_topic else len(facts), entry)
    return {**data, "facts": facts}


def _row_version(row: Any) -> FactVersion:
    return FactVersion(
        id=row.id,
        fact_id=row.fact_id,
        number=row.number,
        status=row.status,
        body=json.loads(row.body),
        based_on=row.based_on,
        author=row.author,
        created_at=row.created_at,
        note=row.note,
        reviewer=row.reviewer,
        reviewed_at=row.reviewed_at,
        review_comment=row.review_comment,
    )


class FactVersionStore:
    """Fact versions, their review, and the published books, in the escalation database.

    Args:
        url: SQLAlchemy URL of the escalation database.
        seed_path: facts/facts.yml, imported when the database has no published book.
        clock: Returns the current aware UTC time.
    """

    def __init__(self, url: str, seed_path: Union[str, Path], clock: Callable[[], datetime] = utcnow) -> None:
        self.url = url
        self.seed_path = Path(seed_path)
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The shared, migrated engine."""
        return shared_engine(self.url)

    # -- the published book ----------------------------------------------------------

    def ensure_seeded(self) -> None:
        """Imports the seed file as version 1 of each fact and book 1, once.

        Raises:
            FactsError: The seed file is invalid (nothing is imported).
        """
        with self.engine.connect() as connection:
            if connection.execute(sa.select(sa.func.max(books_table.c.seq))).scalar() is not None:
                return
        data = read_facts_data(self.seed_path)
        parse_book(data, display_path(self.seed_path))
        author, now = seed_author(self.seed_path), self._clock()
        try:
            with self.engine.begin() as connection:
                for entry in data["facts"]:
                    connection.execute(
                        versions_table.insert().values(
                            fact_id=entry["id"], number=1, status=PUBLISHED, body=json.dumps(editable(entry)),
                            author=author, created_at=now, note="imported from the seed file",
                            reviewer=str(entry.get("reviewed_by")), reviewed_at=now,
                        )
                    )
                connection.execute(
                    books_table.insert().values(seq=1, body=json.dumps(data), published_at=now, published_by=author)
                )
        except IntegrityError:
            pass  # another process seeded it at the same moment

    def published(self) -> PublishedBook:
        """The newest published book (the seed imported first if needed)."""
        self.ensure_seeded()
        with self.engine.connect() as connection:
            return self._published(connection)

    def _published(self, connection: Connection) -> PublishedBook:
        row = connection.execute(sa.select(books_table).order_by(books_table.c.seq.desc()).limit(1)).one()
        data = json.loads(row.body)
        return PublishedBook(row.seq, data, parse_book(data, f"published book {row.seq}"))

    def published_version(self, fact_id: str) -> Optional[FactVersion]:
        """The version of `fact_id` patients get now, if it is published."""
        self.ensure_seeded()
        query = sa.select(versions_table).where(
            versions_table.c.fact_id == fact_id, versions_table.c.status == PUBLISHED
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _row_version(row) if row else None

    def published_numbers(self) -> Dict[str, Tuple[int, int]]:
        """fact id -> (version id, version number) of every published fact."""
        self.ensure_seeded()
        query = sa.select(versions_table.c.fact_id, versions_table.c.id, versions_table.c.number).where(
            versions_table.c.status == PUBLISHED
        )
        with self.engine.connect() as connection:
            return {row.fact_id: (row.id, row.number) for row in connection.execute(query)}

    # -- versions ----------------------------------------------------------------------

    def get(self, version_id: int) -> FactVersion:
        """One version.

        Raises:
            UnknownVersion: No such version.
        """
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(versions_table).where(versions_table.c.id == version_id)).first()
        if row is None:
            raise UnknownVersion(version_id)
        return _row_version(row)

    def history(self, fact_id: str) -> List[FactVersion]:
        """Every version of a fact, newest first."""
        query = sa.select(versions_table).where(versions_table.c.fact_id == fact_id).order_by(
            versions_table.c.number.desc()
        )
        with self.engine.connect() as connection:
            return [_row_version(row) for row in connection.execute(query)]

    def open_versions(self, statuses: Tuple[str, ...] = OPEN_STATUSES) -> List[FactVersion]:
        """Versions waiting for someone (drafts, in review, sent back), oldest first."""
        query = sa.select(versions_table).where(versions_table.c.status.in_(statuses)).order_by(versions_table.c.id)
        with self.engine.connect() as connection:
            return [_row_version(row) for row in connection.execute(query)]

    def validate(self, body: Dict[str, Any], label: str) -> None:
        """Checks the published book with `body` in it, as the loader would.

        Raises:
            FactsError: Every problem, each starting with `label`.
        """
        entry = {**body, "reviewed_by": PENDING_REVIEWER, "reviewed_on": self._clock().date().isoformat()}
        parse_book(with_fact(self.published().data, entry), label)

    def save(
        self,
        body: Dict[str, Any],
        author: str,
        note: str = "",
        submit: bool = False,
        based_on: Optional[int] = None,
    ) -> FactVersion:
        """Saves a new version of a fact (a draft, or sent for review with `submit`).

        Args:
            body: The fact's fields (id, topic, questions, areas, web, sms, source).
            author: The staff username.
            note: What changed and why, for the reviewer.
            submit: Send it for review at once.
            based_on: The published version it was edited from (None: the current one).

        Raises:
            FactsError: The book with this version in it would not load.
        """
        body = editable(body)
        fact_id = str(body.get("id") or "")
        self.validate(body, "this version")
        if based_on is None:
            current = self.published_version(fact_id)
            based_on = current.id if current else None
        now = self._clock()
        with self.engine.begin() as connection:
            number = connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(versions_table.c.number), 0)).where(
                    versions_table.c.fact_id == fact_id
                )
            ).scalar()
            # The author's earlier unpublished versions from the same base are replaced by this one.
            connection.execute(
                versions_table.update()
                .where(
                    versions_table.c.fact_id == fact_id,
                    versions_table.c.author == author,
                    versions_table.c.status.in_(OPEN_STATUSES),
                    versions_table.c.based_on.is_(None) if based_on is None else versions_table.c.based_on == based_on,
                )
                .values(status=REPLACED)
            )
            version_id = connection.execute(
                versions_table.insert().values(
                    fact_id=fact_id, number=int(number) + 1, status=IN_REVIEW if submit else DRAFT,
                    body=json.dumps(body), based_on=based_on, author=author, created_at=now,
                    note=note.strip()[:MAX_COMMENT] or None,
                )
            ).inserted_primary_key[0]
        return self.get(int(version_id))

    def submit(self, version_id: int, actor: str) -> FactVersion:
        """Sends a draft (or a version sent back) for review; only its author may."""
        version = self.get(version_id)
        if version.author != actor:
            raise ReviewRefused("Only the author sends a draft for review.")
        self._move(version, (DRAFT, SENT_BACK), IN_REVIEW)
        return self.get(version_id)

    def send_back(self, version_id: int, reviewer: str, role: str, comment: str) -> FactVersion:
        """Returns a version to its author with a comment (a clinician or admin, not the author)."""
        version = self.get(version_id)
        self._check_reviewer(version, reviewer, role)
        if not comment.strip():
            raise ReviewRefused("Say what needs to change: a comment is required.")
        self._move(version, (IN_REVIEW,), SENT_BACK, reviewer=reviewer, review_comment=comment.strip()[:MAX_COMMENT])
        return self.get(version_id)

    def approve(self, version_id: int, reviewer: str, role: str, comment: str = "") -> PublishedBook:
        """Publishes a version: a new book with this fact, reviewed by `reviewer` today.

        Raises:
            ReviewRefused: Wrong role, own version, not in review, or edited from a
                version that is no longer the published one.
            FactsError: The book would no longer load (another change meanwhile).
        """
        version = self.get(version_id)
        self._check_reviewer(version, reviewer, role)
        if version.status != IN_REVIEW:
            raise ReviewRefused("Only a version in review can be approved.")
        current = self.published_version(version.fact_id)
        if (current.id if current else None) != version.based_on:
            raise ReviewRefused(
                "This version was edited from an older published version; send it back to be redone."
            )
        now = self._clock()
        entry = {**version.body, "reviewed_by": reviewer, "reviewed_on": now.date().isoformat()}
        with self.engine.begin() as connection:
            published = self._published(connection)
            data = with_fact(published.data, entry)
            parse_book(data, f"fact {version.fact_id!r}")
            moved = connection.execute(
                versions_table.update()
                .where(versions_table.c.id == version.id, versions_table.c.status == IN_REVIEW)
                .values(status=PUBLISHED, reviewer=reviewer, reviewed_at=now, review_comment=comment.strip() or None)
            ).rowcount
            if moved != 1:
                raise ReviewRefused("This version was reviewed meanwhile.")
            if current is not None:
                connection.execute(
                    versions_table.update().where(versions_table.c.id == current.id).values(status=SUPERSEDED)
                )
            # Two approvals at once: the second insert of the same seq fails and rolls back.
            connection.execute(
                books_table.insert().values(
                    seq=published.seq + 1, body=json.dumps(data), published_at=now,
                    published_by=reviewer, fact_version_id=version.id,
                )
            )
        return self.published()

    def restore(self, version_id: int, actor: str) -> FactVersion:
        """A new version, in review, with the text of an old one (published only on approval)."""
        old = self.get(version_id)
        return self.save(old.body, actor, note=f"restores version {old.number}", submit=True)

    def diff(self, version: FactVersion) -> List[str]:
        """What this version changes in the version it was edited from."""
        before = self.get(version.based_on).body if version.based_on else None
        return diff_lines(before, version.body)

    def _check_reviewer(self, version: FactVersion, reviewer: str, role: str) -> None:
        if role not in REVIEW_ROLES:
            raise ReviewRefused("Only a clinician or an administrator reviews facts.")
        if version.author == reviewer:
            raise ReviewRefused("You cannot review your own version: another clinician must.")

    def _move(self, version: FactVersion, sources: Tuple[str, ...], target: str, **values: Any) -> None:
        if version.status not in sources:
            raise ReviewRefused(f"This version is {version.status.replace('_', ' ')}.")
        if target == SENT_BACK:
            values["reviewed_at"] = self._clock()
        with self.engine.begin() as connection:
            moved = connection.execute(
                versions_table.update()
                .where(versions_table.c.id == version.id, versions_table.c.status.in_(sources))
                .values(status=target, **values)
            ).rowcount
        if moved != 1:
            raise ReviewRefused("This version changed meanwhile.")

    # -- export and import -------------------------------------------------------------

    def export_yaml(self) -> str:
        """The published book in facts.yml form."""
        published = self.published()
        header = f"# Published facts book {published.seq}, exported from the staff console.\n"
        return header + yaml.safe_dump(published.data, sort_keys=False, allow_unicode=True, width=100)

    def import_data(self, data: Any, actor: str, label: str) -> List[FactVersion]:
        """Sends every fact of `data` that differs from the published one for review.

        The whole file is validated first; the rest of the book (documents, topics,
        known-unknowns) is not imported: those are changed in facts.yml before seeding.

        Raises:
            FactsError: The file would not load.
        """
        parse_book(data, label)
        published = {entry["id"]: editable(entry) for entry in self.published().data["facts"]}
        created = []
        for entry in data["facts"]:
            body = editable(entry)
            if published.get(body["id"]) != body:
                created.append(self.save(body, actor, note=f"imported from {label}", submit=True))
        return created


__all__ = ["FactsError", "FactVersionStore", "FactVersion", "ReviewRefused", "UnknownVersion"]
