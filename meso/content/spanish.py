"""The Spanish facts book: `facts/facts_es.yml` laid over the English facts book.

Each Spanish entry names an English fact (or known-unknown, or clinic detail) by its
id and gives its Spanish questions and, once translated and reviewed, its Spanish web
and SMS texts with their own review fields. A translation says what the English fact
says and nothing more; it cites the English fact's source. A fact without Spanish
texts keeps its English texts behind a Spanish note (`untranslated`), so no Spanish
text is ever made up. `load_spanish` validates the file like the English one and names
the file and entry of every problem. Plain Python.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from meso.content.facts import (
    CLINIC_DETAILS,
    SMS_LIMIT,
    FactBook,
    FactsError,
    NotCovered,
    _Parser,
    _read_yaml,
    _text,
    _unknown,
    display_path,
)

SPANISH_FILE = "facts_es.yml"
TOP_KEYS = frozenset({"topics", "facts", "not_covered", "clinic_details"})
FACT_KEYS = frozenset({"questions", "web", "sms", "reviewed_by", "reviewed_on"})
TEXT_KEYS = ("web", "sms", "reviewed_by", "reviewed_on")
NOT_COVERED_KEYS = frozenset({"subject", "questions"})


class _SpanishParser(_Parser):
    """Validates facts_es.yml against the English book, collecting every problem."""

    def __init__(self, label: str, english: FactBook) -> None:
        super().__init__(label)
        self.english = english

    def parse_spanish(self, data: Any) -> FactBook:
        if not isinstance(data, dict):
            raise FactsError([f"{self.label}: expected a mapping with topics, facts, not_covered, clinic_details"])
        for key in _unknown(data, TOP_KEYS):
            self.problem("", f"unknown top-level key {key!r} (allowed: {', '.join(sorted(TOP_KEYS))})")
        topics = dict(self.english.topics)
        for topic, label in (data.get("topics") or {}).items():
            if topic not in topics:
                self.problem("", f"unknown topic {topic!r} in 'topics'")
            elif not _text(label):
                self.problem("", f"topic {topic!r} has no label")
            else:
                topics[topic] = _text(label)
        facts, untranslated = self.spanish_facts(data.get("facts") or {})
        not_covered = self.spanish_not_covered(data.get("not_covered") or {})
        clinic = self.spanish_clinic(data.get("clinic_details") or {})
        self.distinct_questions(facts, not_covered, clinic)
        if self.problems:
            raise FactsError(self.problems)
        return FactBook(
            topics=topics, facts=tuple(facts), not_covered=tuple(not_covered), clinic_details=clinic,
            language="es", untranslated=frozenset(untranslated),
        )

    def spanish_facts(self, raw: Any) -> Tuple[List[Any], List[str]]:
        if not isinstance(raw, dict):
            self.problem("", "'facts' must map English fact ids to their Spanish entries")
            raw = {}
        for fact_id in raw:
            if self.english.get(str(fact_id)) is None:
                self.problem(f"fact {fact_id!r}: ", "is not a fact id of facts.yml")
        facts, untranslated = [], []
        for fact in self.english.facts:
            entry = raw.get(fact.id)
            where = f"fact {fact.id!r}: "
            if entry is None:
                facts.append(dataclasses.replace(fact, questions=()))
                untranslated.append(fact.id)
                continue
            if not isinstance(entry, dict):
                self.problem(where, "must be a mapping")
                continue
            for key in _unknown(entry, FACT_KEYS):
                self.problem(where, f"unknown key {key!r} (allowed: {', '.join(sorted(FACT_KEYS))})")
            questions = self.questions(entry.get("questions"), where) if "questions" in entry else ()
            present = [key for key in TEXT_KEYS if entry.get(key) is not None]
            if not present:
                facts.append(dataclasses.replace(fact, questions=questions))
                untranslated.append(fact.id)
                continue
            for key in TEXT_KEYS:
                if key not in present:
                    self.problem(where, f"missing {key} (a translation needs web, sms and its own review)")
            web, sms = _text(entry.get("web")), _text(entry.get("sms"))
            if len(sms) > SMS_LIMIT:
                self.problem(where, f"sms text is {len(sms)} characters, the limit is {SMS_LIMIT}")
            reviewed_by = _text(entry.get("reviewed_by"))
            reviewed_on = self.review_date(entry.get("reviewed_on"), where)
            if len(present) == len(TEXT_KEYS) and web and sms and reviewed_by and reviewed_on:
                facts.append(
                    dataclasses.replace(
                        fact, web=web, sms=sms, questions=questions, reviewed_by=reviewed_by, reviewed_on=reviewed_on
                    )
                )
            elif len(present) == len(TEXT_KEYS):
                self.problem(where, "web, sms and reviewed_by must not be empty")
        return facts, untranslated

    def spanish_not_covered(self, raw: Any) -> List[NotCovered]:
        if not isinstance(raw, dict):
            self.problem("", "'not_covered' must map English not_covered ids to their Spanish entries")
            raw = {}
        known = {item.id for item in self.english.not_covered}
        for entry_id in raw:
            if entry_id not in known:
                self.problem(f"not_covered {entry_id!r}: ", "is not a not_covered id of facts.yml")
        entries = []
        for item in self.english.not_covered:
            entry = raw.get(item.id)
            where = f"not_covered {item.id!r}: "
            if entry is None:
                continue  # no Spanish subject yet: not in the Spanish index
            if not isinstance(entry, dict):
                self.problem(where, "must be a mapping")
                continue
            for key in _unknown(entry, NOT_COVERED_KEYS):
                self.problem(where, f"unknown key {key!r} (allowed: questions, subject)")
            subject = _text(entry.get("subject"))
            if not subject:
                self.problem(where, "missing subject")
            questions = self.questions(entry.get("questions"), where)
            entries.append(
                NotCovered(id=item.id, subject=subject, questions=questions, related=item.related, names=item.names)
            )
        return entries

    def spanish_clinic(self, raw: Any) -> Dict[str, Tuple[str, ...]]:
        if not isinstance(raw, dict):
            self.problem("", "'clinic_details' must map clinic details to their Spanish questions")
            return {}
        details: Dict[str, Tuple[str, ...]] = {}
        for detail, questions in raw.items():
            if detail not in CLINIC_DETAILS:
                self.problem("", f"unknown clinic detail {detail!r} (allowed: {', '.join(CLINIC_DETAILS)})")
                continue
            details[str(detail)] = self.questions(questions, f"clinic_details {detail!r}: ")
        return details


def load_spanish(path: Path, english: FactBook) -> FactBook:
    """The Spanish facts book of `english`; raises FactsError naming every problem."""
    label = display_path(path)
    return _SpanishParser(label, english).parse_spanish(_read_yaml(path, label))


class SpanishCache:
    """The Spanish book of the current English book, rebuilt when either file changes.

    An invalid Spanish file keeps the last valid Spanish book (or, at first, a book of
    the English facts behind the Spanish note): patients are still answered.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._key: Optional[Tuple[int, float]] = None
        self._book: Optional[FactBook] = None
        self.error: Optional[FactsError] = None

    def get(self, english: FactBook) -> FactBook:
        try:
            mtime = os.stat(self.path).st_mtime
        except OSError:
            mtime = -1.0
        key = (id(english), mtime)
        with self._lock:
            if self._book is not None and self._key == key:
                return self._book
            try:
                book = load_spanish(self.path, english)
                self.error = None
            except FactsError as error:
                self.error = error
                book = self._book or _parse_empty(english)
            self._key, self._book = key, book
            return book


def _parse_empty(english: FactBook) -> FactBook:
    return _SpanishParser("(no Spanish facts)", english).parse_spanish({})
