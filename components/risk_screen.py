"""Rasa NLU component that screens every message for risk, whatever its intent.

It runs inside the Rasa server, so the emergency instruction never depends on the
action server or a database. Risky messages get their intent replaced by
`emergency`, `crisis` or `risk_disclosure`; the screening (and the intent the
classifier saw) travels in the parse data under `risk`. "Call 911 now" is earned:
only the screen's emergency finding leads to it, never the classifier alone.

It also reads the message's language (meso/language.py) and, when the message sets it,
adds a `language` entity that fills the `language` slot before the next action, so the
emergency replies (domain responses conditioned on that slot) are in the patient's
language without the action server.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from meso.language import choice, turn_language
from meso.safety.screen import Screening, get_risk_screen

RISK = "risk"
LANGUAGE_ENTITY = "language"
CHOOSE_LANGUAGE = "choose_language"
# Intents that lead to "call 911 now" (data/rules/safety.yml).
EMERGENCY_INTENTS = ("emergency", "crisis")


def risk_intent(screening: Screening, classified: Optional[str] = None) -> Optional[str]:
    """The intent this turn must have, or None to keep the classifier's.

    Only the screen's own findings lead to the emergency replies: a classifier that reads
    `emergency` or `crisis` where the screen found no emergency gets `risk_disclosure`
    instead (a case for staff, with an honest reply; see actions/escalation.py). A
    screen emergency keeps the classifier's `crisis` (911 and 988).
    """
    if screening.is_crisis:
        return "crisis"
    if screening.is_emergency:
        return "crisis" if classified == "crisis" else "emergency"
    if screening.is_risky or classified in EMERGENCY_INTENTS:
        return "risk_disclosure"
    return None


def language_entity(
    text: str, metadata: Any, urgent: bool, found_in: Optional[str] = None
) -> Optional[Dict[str, Any]]:
    """The `language` entity this message carries, or None to keep the conversation's."""
    hint = metadata.get("language") if isinstance(metadata, dict) else None
    language = turn_language(text, hint if isinstance(hint, str) else None, urgent, found_in)
    if language is None:
        return None
    return {"entity": LANGUAGE_ENTITY, "value": language, "start": 0, "end": 0, "extractor": "RiskScreen"}


def found_language(screening: Screening) -> Optional[str]:
    """The language whose terms alone found the screening's emergency, if only one did."""
    languages = {f.language for f in screening.findings if f.urgency == "emergency"}
    return languages.pop() if len(languages) == 1 else None


def language_intent(text: str, classified: Optional[str]) -> Optional[str]:
    """`ask_question` for a message the classifier took for a language choice that chooses
    nothing ("does anyone there speak Spanish?" asks about the staff)."""
    if classified == CHOOSE_LANGUAGE and choice(text) is None:
        return "ask_question"
    return None


def turn_risk(screening: Screening, classified: Optional[str]) -> Dict[str, Any]:
    """The `risk` entry of the parse data.

    `unconfirmed` names the classifier's emergency guess the screen did not confirm;
    `turn` identifies this message, so that the action server and the Rasa server's
    outage path record its case at most once.
    """
    unconfirmed = classified if classified in EMERGENCY_INTENTS and not screening.is_emergency else None
    return {
        **screening.as_dict(),
        "classified_intent": classified,
        "unconfirmed": unconfirmed,
        "turn": uuid.uuid4().hex,
    }


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False
)
class RiskScreen(GraphComponent):
    """Applies `meso.safety.screen.RiskScreen` to each parsed message."""

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
            message.set(RISK, turn_risk(screening, classified), add_to_output=True)
            entity = language_entity(
                text, message.get("metadata"), screening.is_emergency, found_language(screening)
            )
            if entity:
                entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != LANGUAGE_ENTITY]
                message.set(ENTITIES, entities + [entity], add_to_output=True)
            forced = risk_intent(screening, classified) or language_intent(text, classified)
            if forced and forced != classified:
                intent = {"name": forced, "confidence": 1.0}
                ranking = [intent] + [
                    item
                    for item in message.get(INTENT_RANKING_KEY) or []
                    if item.get("name") != forced
                ]
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
