"""Intent classifier that also classifies each question of a multi-question message.

Rasa's LogisticRegressionClassifier labels the whole message; its ranking is too
confident to reveal a second question. This subclass keeps that label and adds,
under `clauses`, the intent of each clause `meso.content.clauses` finds. A clause's
features are built from the message's own token features (the featurizers are not
run again): counts add up over the clause's tokens, regex matches are any-of.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, hstack, vstack

from meso.content.clauses import clause_spans

CLAUSES = "clauses"


def _pool(sequence: Features, rows: List[int]) -> csr_matrix:
    """The sentence-level features of the tokens at `rows`."""
    selected = csr_matrix(sequence.features)[rows]
    if "RegexFeaturizer" in sequence.origin:
        return csr_matrix(selected.max(axis=0))
    return csr_matrix(selected.sum(axis=0))


def clause_features(message: Message, token_rows: List[List[int]]) -> Optional[csr_matrix]:
    """One feature row per clause, laid out like the message's sentence features.

    None when the layout cannot be rebuilt (e.g. a featurizer with no sentence features).
    """
    sequences, sentences = message._filter_sparse_features(TEXT, [])
    by_origin = {feature.origin: feature for feature in sequences}
    if not sentences or any(feature.origin not in by_origin for feature in sentences):
        return None
    rows = [hstack([_pool(by_origin[s.origin], clause) for s in sentences]) for clause in token_rows]
    return csr_matrix(vstack(rows))


def _token_rows(message: Message, spans: List[tuple]) -> List[List[int]]:
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    rows = [[i for i, token in enumerate(tokens) if start <= token.start and token.end <= end] for start, end in spans]
    return [clause for clause in rows if clause]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class ClauseIntentClassifier(LogisticRegressionClassifier):
    """LogisticRegressionClassifier plus per-clause intents under `clauses`."""

    def process(self, messages: List[Message]) -> List[Message]:
        messages = super().process(messages)
        for message in messages:
            message.set(CLAUSES, self._classify_clauses(message), add_to_output=True)
        return messages

    def _classify_clauses(self, message: Message) -> List[Dict[str, Any]]:
        text = message.get(TEXT) or ""
        spans = clause_spans(text)
        if len(spans) < 2:
            return []
        token_rows = _token_rows(message, spans)
        features = clause_features(message, token_rows) if len(token_rows) == len(spans) else None
        if features is None:
            return []
        probabilities = self.clf.predict_proba(features)
        clauses = []
        for (start, end), row in zip(spans, probabilities, strict=True):
            best = int(np.argmax(row))
            clauses.append(
                {"start": start, "end": end, "intent": str(self.clf.classes_[best]), "confidence": float(row[best])}
            )
        return clauses
