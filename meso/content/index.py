"""The answer index: every question the facts file lists, searchable by meaning of
its words.

Each fact, each known-unknown (`not_covered:`) and each clinic detail lists the
questions it answers. A patient's question is compared with all of them by three
views: TF-IDF of words (and word pairs), TF-IDF of character n-grams (which forgives
typos: "brusing", "anastesia") and the meaning of the whole question (static word
embeddings, meso/content/meaning.py: "which drugs are administered" is near "what is
in the injections"). An entry's score is its best-matching question's. The index is
rebuilt from a facts book in milliseconds, so an edit to the facts file changes
answers without retraining anything.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Dict, List, Literal, Optional, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from meso.content.facts import FactBook
from meso.content.meaning import MeaningModel, shared_model
from meso.content.wording import SUBJECT_WORDS, SUBJECT_WORDS_ES, content_words, matching_form, spanish_form

Kind = Literal["fact", "not_covered", "clinic"]
# Word view and character view weigh the same within the lexical score, and the meaning
# view takes this share of the total; see docs/ANSWERS.md for how these were chosen.
WORD_WEIGHT = 0.5
MEANING_WEIGHT = 0.4
QUESTION_WORDS = frozenset(
    {"how", "what", "when", "where", "who", "why", "which", "whom",
     "que", "como", "cuanto", "cuanta", "cuando", "donde", "quien", "cual", "porque"}
)


@dataclass(frozen=True)
class Entry:
    """Something a question can be answered by: a fact, a known-unknown or a clinic detail."""

    kind: Kind
    key: str  # fact id, not_covered id, or clinic detail name


@dataclass(frozen=True)
class Match:
    """How well a question matches one entry (scores are cosine similarities, 0..1)."""

    entry: Entry
    score: float
    question: str  # the listed question that matched best


class AnswerIndex:
    """Nearest listed questions for a patient's question."""

    def __init__(self, book: FactBook, meaning: Optional[MeaningModel] = None) -> None:
        self.book = book
        self._meaning = meaning or shared_model()
        self.language = book.language
        listed: List[Tuple[Entry, str]] = []
        listed += [(Entry("fact", fact.id), q) for fact in book.facts for q in fact.questions]
        listed += [(Entry("not_covered", item.id), q) for item in book.not_covered for q in item.questions]
        listed += [(Entry("clinic", detail), q) for detail, qs in book.clinic_details.items() for q in qs]
        self._entries = [entry for entry, _ in listed]
        self._questions = [question for _, question in listed]
        forms = [self.form(question) for question in self._questions] or [""]
        self._words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, tokenizer=str.split, token_pattern=None)
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self._word_matrix = self._words.fit_transform(forms)
        self._char_matrix = self._chars.fit_transform(forms)
        self._meaning_matrix = self._meaning.embed([question.lower() for question in self._questions])
        self._names = [
            (re.compile(rf"\b{re.escape(matching_form(name))}\b"), item.id, name)
            for item in book.not_covered
            for name in item.names
        ]

    def named(self, text: str) -> Optional[Tuple[str, str]]:
        """(not_covered id, product) when `text` names a product the facts never speak of."""
        form = matching_form(text)
        for pattern, entry_id, name in self._names:
            if pattern.search(form):
                return entry_id, name
        return None

    def form(self, text: str) -> str:
        """What both views compare: the content words, or all the words when only
        question words or the treatment's name are left ("who can have it" says more
        than "who"), or nothing when no word asks anything."""
        content = content_words(text, self.language)
        if set(content.split()) - QUESTION_WORDS:
            return content
        words = spanish_form(text) if self.language == "es" else matching_form(text)
        if not content and not set(words.split()) & (SUBJECT_WORDS_ES if self.language == "es" else SUBJECT_WORDS):
            return ""  # "es cierto?", "ok so": nothing asked, nothing to match
        return words

    def topic_of(self, fact_id: str) -> Optional[str]:
        """The topic of a fact of this index's book."""
        fact = self.book.get(fact_id)
        return fact.topic if fact else None

    def __len__(self) -> int:
        return len(self._questions)

    def search(self, text: str, limit: int = 5) -> List[Match]:
        """The best `limit` entries for `text`, best first (one match per entry)."""
        if not self._questions:
            return []
        form = self.form(text)
        word = (self._word_matrix @ self._words.transform([form]).T).toarray().ravel()
        char = (self._char_matrix @ self._chars.transform([form]).T).toarray().ravel()
        lexical = WORD_WEIGHT * word + (1 - WORD_WEIGHT) * char
        # Nothing asked (an empty form) means nothing to match, by meaning either.
        # einsum, not `@`: a matrix product wakes OpenBLAS's threads, which then spin and
        # take a second core from the action server (docs/BENCHMARK.md).
        meaning = np.clip(np.einsum("ij,j->i", self._meaning_matrix, self._meaning.embed([text.lower()])[0]), 0.0, 1.0) if form else 0.0
        combined = (1 - MEANING_WEIGHT) * lexical + MEANING_WEIGHT * meaning
        best: Dict[Entry, int] = {}
        for row in np.argsort(-combined):
            entry = self._entries[row]
            if entry not in best:
                best[entry] = int(row)
                if len(best) == limit:
                    break
        return [
            Match(entry, float(combined[row]), self._questions[row])
            for entry, row in best.items()
        ]


class IndexCache:
    """One index per facts book: rebuilt when the store hands out a new book."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._book: Optional[FactBook] = None
        self._index: Optional[AnswerIndex] = None

    def get(self, book: FactBook) -> AnswerIndex:
        """The index of `book` (built on first use of each book)."""
        with self._lock:
            if self._index is None or self._book is not book:
                self._index, self._book = AnswerIndex(book), book
            return self._index
