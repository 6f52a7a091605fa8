"""The long-lived objects actions share, built on first use (never at import)."""

from __future__ import annotations

import logging
from functools import lru_cache

from meso.cases.escalations import EscalationStore
from meso.cases.spool import ResilientEscalations, Spool
from meso.content.clinic import Clinic, load_clinic
from meso.content.facts import FactBook, FactsStore
from meso.content.index import AnswerIndex, IndexCache
from meso.content.spanish import SPANISH_FILE, SpanishCache
from meso.review.answer_counts import AnswerCounts, BufferedCounts
from meso.review.published_facts import PublishedFacts
from meso.review.unanswered import UnansweredStore
from meso.settings import Settings, get_settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings of this process."""
    return get_settings()


@lru_cache(maxsize=1)
def facts_store() -> FactsStore:
    """The facts file (the seed), served until the console has published a book."""
    return FactsStore(settings().facts_dir / "facts.yml")


@lru_cache(maxsize=1)
def published_facts() -> PublishedFacts:
    """The newest book a clinician approved, shared by every replica through the database."""
    return PublishedFacts(settings().escalation_url, facts_store())


def facts() -> FactBook:
    """The current facts book."""
    return published_facts().current()


_INDEXES = {"en": IndexCache(), "es": IndexCache()}


@lru_cache(maxsize=1)
def spanish() -> SpanishCache:
    """The Spanish facts (facts_es.yml over facts.yml), reloaded when either changes."""
    return SpanishCache(settings().facts_dir / SPANISH_FILE)


def facts_in(language: str) -> FactBook:
    """The current facts book in `language` (English for any language but Spanish)."""
    english = facts()
    return spanish().get(english) if language == "es" else english


def answer_index(book: FactBook) -> AnswerIndex:
    """The answer index of `book`, rebuilt when the facts files change."""
    return _INDEXES.get(book.language, _INDEXES["en"]).get(book)


@lru_cache(maxsize=1)
def unanswered() -> UnansweredStore:
    """Where declined questions are kept for the staff's report."""
    return UnansweredStore(settings().escalation_url)


@lru_cache(maxsize=1)
def answer_counts() -> BufferedCounts:
    """The dashboard's counters of answered and declined questions (written every 2 s)."""
    return BufferedCounts(AnswerCounts(settings().escalation_url))


@lru_cache(maxsize=1)
def clinic() -> Clinic:
    """Clinic details from facts/clinic.yml and the environment."""
    return load_clinic(settings().facts_dir / "clinic.yml")


@lru_cache(maxsize=1)
def escalations() -> ResilientEscalations:
    """The escalation store, spooling to disk while the database is down."""
    config = settings()
    resilient = ResilientEscalations(
        EscalationStore.from_settings(config), Spool(config.data_dir / "spool")
    )
    # Replays spooled cases once the database is back.
    resilient.start_drainer(config.spool_drain_seconds)
    return resilient


def warm_up() -> None:
    """Loads the facts, builds their answer index and migrates the database, so the
    first patient's turn does not pay for them (a database that is down is left to
    the spool and the unanswered store's own handling)."""
    answer_index(facts())
    answer_index(facts_in("es"))
    try:
        unanswered().recent(limit=1)
    except Exception as error:  # noqa: BLE001 - a warm-up never stops the server
        logger.warning("Database not ready at start (%s)", type(error).__name__)
