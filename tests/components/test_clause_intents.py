"""The clause classifier, on a small real pipeline: tokenizer, regex and count features."""

from __future__ import annotations

from pathlib import Path
from typing import List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.clause_intents import ClauseIntentClassifier, clause_features

EXAMPLES = {
    "ask_cost": ["how much does it cost", "what is the price", "how much is a session", "is it expensive"],
    "ask_pain": ["does it hurt", "is it painful", "will I feel pain", "how bad is the pain"],
    "ask_recovery": ["how long is recovery", "when can I go back to work", "is there downtime", "recovery time"],
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> List[object]:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))

    def make(cls: type, node: str, **config: object) -> object:
        context = ExecutionContext(GraphSchema({}), node_name=node)
        return cls.create({**cls.get_default_config(), **config}, storage, Resource(node), context)

    components = [
        make(WhitespaceTokenizer, "run_WhitespaceTokenizer0"),
        make(RegexFeaturizer, "run_RegexFeaturizer1"),
        make(CountVectorsFeaturizer, "run_CountVectorsFeaturizer2"),
        make(CountVectorsFeaturizer, "run_CountVectorsFeaturizer3", analyzer="char_wb", min_ngram=2, max_ngram=4),
    ]
    data = TrainingData(
        training_examples=[Message(data={TEXT: text, "intent": intent}) for intent, texts in EXAMPLES.items() for text in texts],
        regex_features=[{"name": "money", "pattern": "cost|price|expensive"}],
    )
    components[0].process_training_data(data)
    components[1].train(data)
    components[1].process_training_data(data)
    for vectorizer in components[2:]:
        vectorizer.train(data)
        vectorizer.process_training_data(data)
    classifier = make(ClauseIntentClassifier, "train_ClauseIntentClassifier4")
    classifier.train(data)
    return [*components, classifier]


def parse(pipeline: List[object], text: str) -> Message:
    message = Message(data={TEXT: text})
    for component in pipeline:
        component.process([message])
    return message


def test_whole_message_as_one_clause_has_the_sentence_features(pipeline: List[object]) -> None:
    message = parse(pipeline, "how much does the price cost")
    sentence = message.get_sparse_features(TEXT)[1].features.toarray()
    every_token = [list(range(len(message.get("text_tokens"))))]
    assert np.array_equal(clause_features(message, every_token).toarray(), sentence)


def test_each_question_gets_its_own_intent(pipeline: List[object]) -> None:
    message = parse(pipeline, "how much does it cost and does it hurt?")
    assert [clause["intent"] for clause in message.get("clauses")] == ["ask_cost", "ask_pain"]
    first = message.get("clauses")[0]
    assert message.get(TEXT)[first["start"] : first["end"]] == "how much does it cost"


def test_single_question_has_no_clauses(pipeline: List[object]) -> None:
    message = parse(pipeline, "is there downtime")
    assert message.get("intent")["name"] == "ask_recovery"
    assert message.get("clauses") == []
