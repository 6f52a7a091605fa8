"""A Spanish conversation over REST on the real Rasa and action servers: a question, a
follow-up, a disclosure and an emergency, each answered in Spanish; the language is
switchable and the 911 reply does not need the action server."""

from __future__ import annotations

import uuid
from typing import List

import httpx
import pytest
import yaml

from devstack.stack import Stack
from meso.cases.escalations import EscalationStore
from meso.content.facts import load_facts
from meso.content.spanish import load_spanish
from meso.guard.refusals import domain_responses, variation
from meso.settings import PROJECT_ROOT

ENGLISH = load_facts(PROJECT_ROOT / "facts" / "facts.yml")
SPANISH = load_spanish(PROJECT_ROOT / "facts" / "facts_es.yml", ENGLISH)
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def response(name: str, language: str) -> str:
    return variation(DOMAIN["responses"][name], language)


def texts(replies: List[dict]) -> List[str]:
    return [reply.get("text", "") for reply in replies]


def spanish_web(fact_id: str) -> str:
    fact = SPANISH.get(fact_id)
    assert fact is not None and fact_id not in SPANISH.untranslated
    return fact.web


@pytest.fixture()
def store(stack: Stack) -> EscalationStore:
    return EscalationStore(stack.env["ESCALATION_DB_URL"])


def test_spanish_conversation_question_follow_up_disclosure_emergency(stack: Stack, store: EscalationStore) -> None:
    sender = f"es-{uuid.uuid4().hex[:8]}"
    # A question: the Spanish text of the fact, with its source.
    first = stack.say(sender, "hola buenas, q es la mesoterapia?")
    assert spanish_web("procedure-what") in " ".join(texts(first))
    # A follow-up: the topic's next facts, still in Spanish.
    more = " ".join(texts(stack.say(sender, "cuenteme mas")))
    procedure = [fact.id for fact in SPANISH.for_topic("procedure")]
    assert any(spanish_web(fact_id) in more for fact_id in procedure[1:]), more
    # A disclosure: thanked in Spanish, explained from the Spanish facts, a case for staff.
    disclosure = " ".join(texts(stack.say(sender, "estoy embarazada de 12 semanas, cuanto cuesta?")))
    assert disclosure.startswith("Gracias por decírmelo")
    assert spanish_web("contraindications-list") in disclosure
    # An emergency: "Llame al 911 ahora" comes first.
    emergency = texts(stack.say(sender, "No puedo respirar después de las inyecciones"))
    assert emergency[0] == domain_responses("es")["utter_emergency"]
    assert emergency[0].startswith("Llame al 911 ahora")
    cases = [case for case in store.list(limit=500) if case.conversation_id == sender]
    assert sorted(reason for case in cases for reason in case.reasons) == ["emergency", "pregnancy"]


def test_spanish_crisis_gives_988_in_spanish(stack: Stack) -> None:
    replies = texts(stack.say(f"es-crisis-{uuid.uuid4().hex[:6]}", "ya no quiero vivir"))
    assert replies[0] == domain_responses("es")["utter_crisis"]
    assert "988" in replies[0] and "marcar 2" in replies[0] and "AYUDA" in replies[0]


def test_negations_family_and_hypotheticals_do_not_escalate(stack: Stack, store: EscalationStore) -> None:
    for text in ("No estoy embarazada", "mi mamá tuvo un derrame cerebral", "¿y si estuviera embarazada?"):
        sender = f"es-benign-{uuid.uuid4().hex[:6]}"
        answer = " ".join(texts(stack.say(sender, text)))
        assert "911" not in answer and not answer.startswith("Gracias por decírmelo"), (text, answer)
        assert not [case for case in store.list(limit=500) if case.conversation_id == sender], text


def test_language_is_kept_and_switchable(stack: Stack) -> None:
    sender = f"es-switch-{uuid.uuid4().hex[:6]}"
    assert texts(stack.say(sender, "hola")) == [response("utter_greet", "es")]
    # The conversation stays in Spanish until the patient switches.
    assert texts(stack.say(sender, "gracias")) == [response("utter_thank", "es")]
    assert texts(stack.say(sender, "in English please")) == [response("utter_language_set", "en")]
    assert texts(stack.say(sender, "thanks")) == [response("utter_thank", "en")]
    assert texts(stack.say(sender, "en español por favor")) == [response("utter_language_set", "es")]
    assert texts(stack.say(sender, "thanks")) == [response("utter_thank", "es")]


def test_the_channel_sets_the_language(stack: Stack) -> None:
    """customData.language (the widget page's) and the SMS channel send `metadata.language`."""
    sender = f"es-meta-{uuid.uuid4().hex[:6]}"
    reply = httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": "thanks", "metadata": {"language": "es"}},
        timeout=30,
    )
    assert [m.get("text") for m in reply.json()] == [response("utter_thank", "es")]


def test_spanish_emergency_reply_without_action_server(stack: Stack) -> None:
    stack.stop("actions")
    try:
        replies = texts(stack.say(f"es-no-actions-{uuid.uuid4().hex[:6]}", "se me cierra la garganta", timeout=60))
        assert replies[0].startswith("Llame al 911 ahora")
    finally:
        stack.start_actions()
