"""Rasa NLU component that screens every message for risk, whatever its intent.

It runs inside the Rasa server, so the emergency instruction never depends on the
action server or a database. Risky messages get their intent replaced by
`emergency`, `crisis` or `risk_disclosure`; the screening (and the intent the
classifier saw) travels in the parse data under `risk`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from meso.risk import Screening, get_risk_screen

RISK = "risk"
# A screening may raise the classifier's intent, never lower it.
RISK_INTENT_RANK = {"risk_disclosure": 1, "emergency": 2, "crisis": 3}


def risk_intent(screening: Screening) -> Optional[str]:
    """The intent a screening forces, or None when the message is not risky."""
    if not screening.is_risky:
        return None
    if screening.is_crisis:
        return "crisis"
    if screening.is_emergency:
        return "emergency"
    return "risk_disclosure"


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RiskScreen(GraphComponent):
    """Applies `meso.risk.RiskScreen` to each parsed message."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskScreen:
        """Creates the component; the screen itself is built once per process."""
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Training data passes through unchanged."""
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Screens each message and overrides the intent of risky ones."""
        screen = get_risk_screen()
        for message in messages:
            text = message.get(TEXT) or ""
            screening = screen.screen(text)
            classified = (message.get(INTENT) or {}).get("name")
            message.set(
                RISK,
                {**screening.as_dict(), "classified_intent": classified},
                add_to_output=True,
            )
            forced = risk_intent(screening)
            if forced and RISK_INTENT_RANK[forced] > RISK_INTENT_RANK.get(
                classified or "", 0
            ):
                intent = {"name": forced, "confidence": 1.0}
                ranking = [intent] + [
                    item
                    for item in message.get(INTENT_RANKING_KEY) or []
                    if item.get("name") != forced
                ]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
