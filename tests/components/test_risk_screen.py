"""The risk screen component: only the screen's emergency findings lead to 911."""

from __future__ import annotations

from typing import Optional

import pytest

from components.risk_screen import risk_intent, turn_risk
from meso.safety.screen import Finding, Screening

EMERGENCY = Screening((Finding("emergency", "emergency", "can't breathe"),))
CRISIS = Screening((Finding("emergency", "emergency", "want to die", crisis=True),))
PREGNANCY = Screening((Finding("pregnancy", "routine", "expecting"),))
COMPLICATION = Screening((Finding("complication", "urgent", "pus"),))
NOTHING = Screening()


@pytest.mark.parametrize(
    "screening,classified,expected",
    [
        (EMERGENCY, "ask_cost", "emergency"),
        (EMERGENCY, "crisis", "crisis"),
        (CRISIS, "emergency", "crisis"),
        # The classifier's emergency guess alone never reaches utter_emergency.
        (PREGNANCY, "emergency", "risk_disclosure"),
        (COMPLICATION, "emergency", "risk_disclosure"),
        (NOTHING, "emergency", "risk_disclosure"),
        (NOTHING, "crisis", "risk_disclosure"),
        (PREGNANCY, "ask_cost", "risk_disclosure"),
        (NOTHING, "ask_cost", None),
    ],
)
def test_risk_intent(screening: Screening, classified: str, expected: Optional[str]) -> None:
    assert risk_intent(screening, classified) == expected


def test_turn_risk_names_the_unconfirmed_guess_and_the_turn() -> None:
    risk = turn_risk(PREGNANCY, "emergency")
    assert risk["unconfirmed"] == "emergency" and risk["reasons"] == ["pregnancy"]
    assert turn_risk(EMERGENCY, "emergency")["unconfirmed"] is None
    assert turn_risk(NOTHING, "ask_cost")["unconfirmed"] is None
    assert risk["turn"] != turn_risk(PREGNANCY, "emergency")["turn"]  # one per message


def test_language_entity_follows_choice_detection_then_channel() -> None:
    from components.risk_screen import language_entity

    assert language_entity("en español por favor", None, False)["value"] == "es"
    assert language_entity("No puedo respirar después de las inyecciones", None, True)["value"] == "es"
    assert language_entity("How long does a session take?", {"language": "es"}, False)["value"] == "en"
    assert language_entity("ok", {"language": "es"}, False)["value"] == "es"  # the widget page's language
    assert language_entity("ok", None, False) is None  # keeps the conversation's
    assert language_entity("ok", {"language": "fr"}, False) is None


def test_a_language_choice_that_chooses_nothing_is_a_question() -> None:
    from components.risk_screen import language_intent

    assert language_intent("does anyone there speak spanish", "choose_language") == "ask_question"
    assert language_intent("en español", "choose_language") is None
    assert language_intent("hola", "greet") is None
