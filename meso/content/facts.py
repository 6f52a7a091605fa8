"""The curated facts file: loading, validation, lookup and live reload.

`facts/facts.yml` is owned by clinic staff. Every answer the assistant gives about
mesotherapy comes from one of its facts, each with a source paragraph and a review
record. `load_facts` validates the whole file and names the file and the entry of
every problem; `FactsStore` serves the last valid version while staff edit it.

Over 300 lines on purpose: the whole schema of a fact and its validation stay in one place, so every rule staff must follow is read here.
"""

from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Tuple, Union

import yaml

from meso.contract import BODY_AREAS, TOPICS
from meso.contract import SMS_MAX_CHARS as SMS_LIMIT
from meso.settings import PROJECT_ROOT, Settings, get_settings
from meso.strict_yaml import UniqueKeyLoader

logger = logging.getLogger(__name__)

# The topic that answers "can you treat my <area>?": its area lookup spans every topic.
AREA_TOPIC = "areas"
# How often `FactsStore.current` looks at the file at most.
CHECK_INTERVAL_SECONDS = 0.25

TOP_LEVEL_KEYS = frozenset({"documents", "topics", "facts", "not_covered", "clinic_details"})
DOCUMENT_KEYS = frozenset({"title", "path"})
FACT_REQUIRED_KEYS = ("id", "topic", "questions", "web", "sms", "source", "reviewed_by", "reviewed_on")
NOT_COVERED_REQUIRED_KEYS = ("id", "subject", "questions")
NOT_COVERED_KEYS = frozenset({*NOT_COVERED_REQUIRED_KEYS, "related", "names"})
# Clinic details a question can ask for; their values live in facts/clinic.yml.
CLINIC_DETAILS = ("phone", "address", "hours", "website")
MAX_QUESTION_CHARS = 300
FACT_KEYS = frozenset({*FACT_REQUIRED_KEYS, "areas"})
SOURCE_KEYS = frozenset({"document", "paragraph"})
# A source the clinic provided itself (a price list, the front desk): who and when.
PROVIDED_SOURCE_KEYS = frozenset({"provided_by", "provided_on"})
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class FactsError(ValueError):
    """The facts file is unreadable or invalid; `problems` lists every finding."""

    def __init__(self, problems: List[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Source:
    """Where a fact comes from: a document of the `documents:` map and a paragraph, or
    (document "clinic", paragraph 0) information the clinic provided, with who and when."""

    document: str
    paragraph: int
    title: str
    provided_by: str | None = None
    provided_on: date | None = None


@dataclass(frozen=True)
class Fact:
    """One reviewed statement, in a website form and an SMS form."""

    id: str
    topic: str
    web: str
    sms: str
    source: Source
    reviewed_by: str
    reviewed_on: date
    areas: Tuple[str, ...] = ()
    questions: Tuple[str, ...] = ()


@dataclass(frozen=True)
class NotCovered:
    """A question patients ask that the facts do not answer, said plainly.

    `subject` completes "I don't have information on ..."; `related` optionally names
    a fact the reply may add, labelled as related, never as the answer. `names` are
    products the facts never speak of ("Kybella"): a question naming one is this
    entry whatever else it asks, and the reply names the product.
    """

    id: str
    subject: str
    questions: Tuple[str, ...]
    related: str | None = None
    names: Tuple[str, ...] = ()


@dataclass(frozen=True)
class FactBook:
    """A validated facts file: topic labels and facts, in file order, the questions
    known not to be covered, and the questions that ask for a clinic detail."""

    topics: Mapping[str, str]
    facts: Tuple[Fact, ...]
    not_covered: Tuple[NotCovered, ...] = ()
    clinic_details: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    # The language of the texts ("en"; "es" for the Spanish book of meso/content/spanish.py),
    # and the facts whose texts are still the English ones in a book of another language.
    language: str = "en"
    untranslated: FrozenSet[str] = frozenset()
    _by_id: Dict[str, Fact] = field(init=False, repr=False, compare=False)
    _by_topic: Dict[str, Tuple[Fact, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {fact.id: fact for fact in self.facts})
        by_topic = {topic: tuple(f for f in self.facts if f.topic == topic) for topic in self.topics}
        object.__setattr__(self, "_by_topic", by_topic)

    def get(self, fact_id: str) -> Fact | None:
        """The fact with this id, or None."""
        return self._by_id.get(fact_id)

    def for_topic(self, topic: str, area: str | None = None) -> List[Fact]:
        """The facts of a topic, most relevant first.

        Args:
            topic: A facts topic; an unknown topic has no facts.
            area: A canonical body area the question names, if any.

        Returns:
            Without an area, the topic's facts in file order. With one: the topic's
            facts about that area (for the `areas` topic also those of other topics,
            e.g. the eyelid fact of `face`), then the topic's general facts (those
            with no `areas`). Facts about other areas are left out; if that leaves
            nothing, all the topic's facts.
        """
        facts = self._by_topic.get(topic, ())
        if area is None:
            return list(facts)
        named = [fact for fact in facts if area in fact.areas]
        if topic == AREA_TOPIC:
            named += [fact for fact in self.facts if fact.topic != topic and area in fact.areas]
        general = [fact for fact in facts if not fact.areas]
        return (named + general) or list(facts)


def cite(fact: Fact, language: str = "en") -> str:
    """The short citation shown under an answer (the one place that words it)."""
    if fact.source.provided_by:
        return f"Fuente: {fact.source.title}" if language == "es" else f"Source: {fact.source.title}"
    if language == "es":
        return f"Fuente: {fact.source.title} (en inglés), párrafo {fact.source.paragraph}"
    return f"Source: {fact.source.title}, paragraph {fact.source.paragraph}"


def default_facts_path(settings: Settings | None = None) -> Path:
    """`facts.yml` in Settings.facts_dir (a relative FACTS_DIR is under the project)."""
    facts_dir = (settings or get_settings()).facts_dir
    if not facts_dir.is_absolute():
        facts_dir = PROJECT_ROOT / facts_dir
    return facts_dir / "facts.yml"


def display_path(path: Path) -> str:
    """The path as errors show it: relative to the project when inside it."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


# --- parsing ---------------------------------------------------------------


class _StrictLoader(UniqueKeyLoader):
    """UniqueKeyLoader that keeps dates as text (checked per entry)."""


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(path: Path, label: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FactsError([f"{label}: cannot read the file ({error.strerror or type(error).__name__})"]) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        # Position and problem only: the offending line may quote patient-facing text.
        mark = error.problem_mark or error.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise FactsError([f"{label}: YAML error{where}: {error.problem or error.context}"]) from None
    except yaml.YAMLError as error:
        raise FactsError([f"{label}: YAML error: {type(error).__name__}"]) from None


def _text(value: Any) -> str:
    """A string field with its whitespace collapsed; anything else gives ''."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _unknown(keys: Any, allowed: frozenset) -> List[str]:
    return sorted(str(key) for key in keys if key not in allowed)


class _Parser:
    """Validates one parsed facts file, collecting every problem."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.problems: List[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.label}: {where}{message}")

    def parse(self, data: Any) -> FactBook:
        if not isinstance(data, dict):
            raise FactsError([f"{self.label}: expected a mapping with documents, topics and facts"])
        for key in _unknown(data, TOP_LEVEL_KEYS):
            self.problem("", f"unknown top-level key {key!r} (allowed: {', '.join(sorted(TOP_LEVEL_KEYS))})")
        documents = self.documents(data.get("documents"))
        topics = self.topics(data.get("topics"))
        facts = self.facts(data.get("facts"), documents, topics)
        not_covered = self.not_covered_entries(data.get("not_covered"), {fact.id for fact in facts})
        clinic_details = self.clinic_details(data.get("clinic_details"))
        self.distinct_questions(facts, not_covered, clinic_details)
        # Coverage counts every entry naming a topic, valid or not, to avoid a second error.
        entries = data.get("facts") if isinstance(data.get("facts"), list) else []
        used = {entry.get("topic") for entry in entries or [] if isinstance(entry, dict)
                and isinstance(entry.get("topic"), str)}
        for topic in topics:
            if topic not in used:
                self.problem("", f"topic {topic!r} has no facts")
        if self.problems:
            raise FactsError(self.problems)
        return FactBook(
            topics=topics, facts=tuple(facts), not_covered=tuple(not_covered), clinic_details=clinic_details
        )

    def documents(self, raw: Any) -> Dict[str, str]:
        """Document key -> title."""
        if not isinstance(raw, dict) or not raw:
            self.problem("", "'documents' must map each document key to its title and path")
            return {}
        titles: Dict[str, str] = {}
        for key, entry in raw.items():
            where = f"document {key!r}: "
            if not isinstance(entry, dict):
                self.problem(where, "must have a title and a path")
                continue
            for unknown in _unknown(entry, DOCUMENT_KEYS):
                self.problem(where, f"unknown key {unknown!r} (allowed: path, title)")
            for name in sorted(DOCUMENT_KEYS):
                if not _text(entry.get(name)):
                    self.problem(where, f"missing {name}")
            titles[str(key)] = _text(entry.get("title"))
        return titles

    def topics(self, raw: Any) -> Dict[str, str]:
        """Topic -> menu label, in file order."""
        if not isinstance(raw, dict) or not raw:
            self.problem("", "'topics' must map each topic to a short label")
            return {}
        labels: Dict[str, str] = {}
        for topic, label in raw.items():
            if topic not in TOPICS:
                self.problem("", f"unknown topic {topic!r} in 'topics' (see docs/CONTRACTS.md)")
            elif not _text(label):
                self.problem("", f"topic {topic!r} has no label")
            else:
                labels[topic] = _text(label)
        return labels

    def facts(self, raw: Any, documents: Dict[str, str], topics: Dict[str, str]) -> List[Fact]:
        if not isinstance(raw, list) or not raw:
            self.problem("", "'facts' must be a non-empty list")
            return []
        facts: List[Fact] = []
        first_entry: Dict[str, int] = {}
        for number, entry in enumerate(raw, start=1):
            fact_id = entry.get("id") if isinstance(entry, dict) else None
            named = f"fact {fact_id!r} " if isinstance(fact_id, str) and fact_id else "fact "
            where = f"{named}(entry {number}): "
            if isinstance(fact_id, str) and fact_id in first_entry:
                self.problem(where, f"duplicate id, already used by entry {first_entry[fact_id]}")
            elif isinstance(fact_id, str):
                first_entry[fact_id] = number
            fact = self.fact(entry, where, documents, topics)
            if fact is not None:
                facts.append(fact)
        return facts

    def fact(self, entry: Any, where: str, documents: Dict[str, str], topics: Dict[str, str]) -> Fact | None:
        if not isinstance(entry, dict):
            self.problem(where, "must be a mapping")
            return None
        before = len(self.problems)
        for key in _unknown(entry, FACT_KEYS):
            self.problem(where, f"unknown key {key!r} (allowed: {', '.join(sorted(FACT_KEYS))})")
        for key in FACT_REQUIRED_KEYS:
            if key not in entry or entry[key] is None:
                self.problem(where, f"missing {key}")

        fact_id = entry.get("id")
        if "id" in entry and not (isinstance(fact_id, str) and SLUG.match(fact_id)):
            self.problem(where, "id must be a slug of lowercase letters, digits and hyphens")
        topic = entry.get("topic")
        if topic is not None and not (isinstance(topic, str) and topic in topics):
            known = "in 'topics'" if topic in TOPICS else "(see docs/CONTRACTS.md)"
            self.problem(where, f"unknown topic {topic!r} {known}")
        web, sms = _text(entry.get("web")), _text(entry.get("sms"))
        for name, text in (("web", web), ("sms", sms)):
            if entry.get(name) is not None and not text:
                self.problem(where, f"{name} text is empty")
        if len(sms) > SMS_LIMIT:
            self.problem(where, f"sms text is {len(sms)} characters, the limit is {SMS_LIMIT}")
        areas = self.areas(entry.get("areas", []), where)
        questions = self.questions(entry.get("questions"), where) if "questions" in entry else ()
        source = self.source(entry.get("source"), where, documents) if "source" in entry else None
        reviewed_by = _text(entry.get("reviewed_by"))
        if entry.get("reviewed_by") is not None and not reviewed_by:
            self.problem(where, "reviewed_by must name who reviewed the fact")
        reviewed_on = self.review_date(entry.get("reviewed_on"), where)

        if len(self.problems) > before or source is None or reviewed_on is None:
            return None
        return Fact(
            id=str(fact_id),
            topic=str(topic),
            web=web,
            sms=sms,
            source=source,
            reviewed_by=reviewed_by,
            reviewed_on=reviewed_on,
            areas=areas,
            questions=questions,
        )

    def questions(self, raw: Any, where: str) -> Tuple[str, ...]:
        """A non-empty list of distinct, non-empty questions of a sensible length."""
        if not isinstance(raw, list) or not raw:
            self.problem(where, "questions must be a non-empty list of the questions this answers")
            return ()
        questions: List[str] = []
        for number, item in enumerate(raw, start=1):
            text = _text(item)
            if not text:
                self.problem(where, f"question {number} is empty or not text")
            elif len(text) > MAX_QUESTION_CHARS:
                self.problem(where, f"question {number} is {len(text)} characters, the limit is {MAX_QUESTION_CHARS}")
            elif text.lower() in (q.lower() for q in questions):
                self.problem(where, f"question {number} repeats an earlier one")
            else:
                questions.append(text)
        return tuple(questions)

    def not_covered_entries(self, raw: Any, fact_ids: set) -> List[NotCovered]:
        """The `not_covered:` list (optional)."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem("", "'not_covered' must be a list")
            return []
        entries: List[NotCovered] = []
        seen: Dict[str, int] = {}
        for number, entry in enumerate(raw, start=1):
            entry_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"not_covered {entry_id!r} (entry {number}): " if entry_id else f"not_covered (entry {number}): "
            if not isinstance(entry, dict):
                self.problem(where, "must be a mapping")
                continue
            before = len(self.problems)
            for key in _unknown(entry, NOT_COVERED_KEYS):
                self.problem(where, f"unknown key {key!r} (allowed: {', '.join(sorted(NOT_COVERED_KEYS))})")
            for key in NOT_COVERED_REQUIRED_KEYS:
                if entry.get(key) is None:
                    self.problem(where, f"missing {key}")
            if entry_id is not None and not (isinstance(entry_id, str) and SLUG.match(entry_id)):
                self.problem(where, "id must be a slug of lowercase letters, digits and hyphens")
            elif isinstance(entry_id, str) and (entry_id in seen or entry_id in fact_ids):
                self.problem(where, "duplicate id, already used by a fact or an earlier entry")
            elif isinstance(entry_id, str):
                seen[entry_id] = number
            subject = _text(entry.get("subject"))
            if entry.get("subject") is not None and not subject:
                self.problem(where, "subject must say what is not covered")
            related = entry.get("related")
            if related is not None and related not in fact_ids:
                self.problem(where, f"related fact {related!r} is not a fact id")
            questions = self.questions(entry.get("questions"), where) if "questions" in entry else ()
            names = self.names(entry.get("names"), where)
            if len(self.problems) == before:
                entries.append(
                    NotCovered(id=str(entry_id), subject=subject, questions=questions, related=related, names=names)
                )
        return entries

    def names(self, raw: Any, where: str) -> Tuple[str, ...]:
        """A not_covered entry's `names:` (optional): products, as they are written."""
        if raw is None:
            return ()
        if not isinstance(raw, list) or not all(isinstance(name, str) and name.strip() for name in raw):
            self.problem(where, "names must be a list of product names")
            return ()
        return tuple(name.strip() for name in raw)

    def clinic_details(self, raw: Any) -> Dict[str, Tuple[str, ...]]:
        """The `clinic_details:` map (optional): detail -> questions asking for it."""
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.problem("", "'clinic_details' must map a clinic detail to its questions")
            return {}
        details: Dict[str, Tuple[str, ...]] = {}
        for detail, questions in raw.items():
            where = f"clinic_details {detail!r}: "
            if detail not in CLINIC_DETAILS:
                self.problem(where, f"unknown clinic detail (allowed: {', '.join(CLINIC_DETAILS)})")
                continue
            details[detail] = self.questions(questions, where)
        return details

    def distinct_questions(
        self, facts: List[Fact], not_covered: List[NotCovered], clinic_details: Dict[str, Tuple[str, ...]]
    ) -> None:
        """A question listed under two entries would make the answer a coin toss."""
        owners: Dict[str, str] = {}
        listed = [(f"fact {fact.id!r}", fact.questions) for fact in facts]
        listed += [(f"not_covered {entry.id!r}", entry.questions) for entry in not_covered]
        listed += [(f"clinic_details {detail!r}", questions) for detail, questions in clinic_details.items()]
        for owner, questions in listed:
            for question in questions:
                key = " ".join(question.lower().split()).rstrip("?!. ")
                if key in owners and owners[key] != owner:
                    self.problem(f"{owner}: ", f"question {question!r} is also listed under {owners[key]}")
                owners.setdefault(key, owner)

    def areas(self, raw: Any, where: str) -> Tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(where, "areas must be a list of body areas")
            return ()
        for area in raw:
            if not (isinstance(area, str) and area in BODY_AREAS):
                self.problem(where, f"unknown area {area!r} (allowed: {', '.join(sorted(BODY_AREAS))})")
        return tuple(str(area) for area in raw)

    def source(self, raw: Any, where: str, documents: Dict[str, str]) -> Source | None:
        if not isinstance(raw, dict):
            self.problem(where, "source must have a document and a paragraph, or provided_by and provided_on")
            return None
        if any(key in raw for key in PROVIDED_SOURCE_KEYS):
            return self.provided_source(raw, where)
        for key in _unknown(raw, SOURCE_KEYS):
            self.problem(where, f"unknown key {key!r} in source (allowed: document, paragraph)")
        document, paragraph = raw.get("document"), raw.get("paragraph")
        known_document = isinstance(document, str) and document in documents
        whole_paragraph = isinstance(paragraph, int) and not isinstance(paragraph, bool) and paragraph >= 1
        if document is None:
            self.problem(where, "source is missing its document")
        elif not known_document:
            self.problem(where, f"source document {document!r} is not in 'documents'")
        if paragraph is None:
            self.problem(where, "source is missing its paragraph")
        elif not whole_paragraph:
            self.problem(where, "source paragraph must be a whole number from 1")
        if not (known_document and whole_paragraph):
            return None
        return Source(document=str(document), paragraph=int(paragraph or 0), title=documents[str(document)])

    def provided_source(self, raw: Dict[str, Any], where: str) -> Source | None:
        """A clinic-provided source: who provided the information and on what date."""
        before = len(self.problems)
        for key in _unknown(raw, PROVIDED_SOURCE_KEYS):
            self.problem(where, f"unknown key {key!r} in a clinic-provided source (allowed: provided_by, provided_on)")
        provided_by = _text(raw.get("provided_by"))
        if not provided_by:
            self.problem(where, "source is missing provided_by (who at the clinic provided it)")
        provided_on = None
        try:
            provided_on = date.fromisoformat(str(raw.get("provided_on") or "").strip())
        except ValueError:
            self.problem(where, "source provided_on must be an ISO date (YYYY-MM-DD)")
        if len(self.problems) > before or provided_on is None:
            return None
        title = f"information provided by {provided_by} of the clinic on {provided_on.isoformat()}"
        return Source("clinic", 0, title, provided_by=provided_by, provided_on=provided_on)

    def review_date(self, raw: Any, where: str) -> date | None:
        if raw is None:
            return None
        try:
            return date.fromisoformat(str(raw).strip())
        except ValueError:
            self.problem(where, "reviewed_on must be an ISO date (YYYY-MM-DD)")
            return None


def parse_book(data: Any, label: str) -> FactBook:
    """Validates an already parsed facts book (YAML or JSON mapping), as `load_facts` does.

    Args:
        data: The mapping with documents, topics, facts, ...
        label: Where it comes from, named at the start of every problem.

    Raises:
        FactsError: Every problem found.
    """
    return _Parser(label).parse(data)


def read_facts_data(path: Union[str, Path]) -> Any:
    """The facts file parsed (dates kept as text, duplicate keys refused), not validated."""
    path = Path(path)
    return _read_yaml(path, display_path(path))


def load_facts(path: Union[str, Path]) -> FactBook:
    """Reads and validates a facts file.

    Args:
        path: The YAML facts file.

    Returns:
        The validated book.

    Raises:
        FactsError: The file cannot be read or is invalid; each line of the message
            names the file and, where it applies, the entry.
    """
    path = Path(path)
    label = display_path(path)
    return _Parser(label).parse(_read_yaml(path, label))


# --- live reload -------------------------------------------------------------

Signature = Union[Tuple[int, int, int], None]


@dataclass(frozen=True)
class _Loaded:
    book: FactBook
    signature: Signature


class FactsStore:
    """Serves the facts file, re-reading it when it changes on disk.

    `current()` looks at the file's mtime, size and inode at most every
    `check_interval` seconds and reloads when they change. An invalid edit is
    logged (the problems, never the text) and kept in `last_error`, and the last
    valid book goes on being served. State is swapped as whole objects, so
    concurrent callers see either the old or the new book.
    """

    def __init__(
        self,
        path: Union[str, Path],
        check_interval: float = CHECK_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path)
        self.check_interval = check_interval
        self._clock = clock
        self._loaded: _Loaded | None = None
        self._checked_at = float("-inf")
        self._failed: Signature = None
        self.last_error: str | None = None
        self.loaded_at: float | None = None

    def current(self) -> FactBook:
        """The newest valid book.

        Raises:
            FactsError: The file has never been valid since this store was made.
        """
        loaded = self._loaded
        now = self._clock()
        if loaded is not None and now - self._checked_at < self.check_interval:
            return loaded.book
        self._checked_at = now
        signature = self._signature()
        if loaded is not None and signature == loaded.signature:
            return loaded.book
        if loaded is not None and self.last_error is not None and signature == self._failed:
            return loaded.book  # the same broken version: already logged
        try:
            if signature is None:
                raise FactsError([f"{display_path(self.path)}: file not found"])
            book = load_facts(self.path)
        except FactsError as error:
            self._failed, self.last_error = signature, str(error)
            if loaded is None:
                raise
            logger.error("Facts file is invalid; still serving the last valid version:\n%s", error)
            return loaded.book
        self._loaded = _Loaded(book, signature)
        self.last_error, self._failed = None, None
        self.loaded_at = time.time()
        if loaded is not None:
            logger.info("Reloaded %s: %d facts", display_path(self.path), len(book.facts))
        return book

    def _signature(self) -> Signature:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
