"""No message goes unanswered: examples of every intent in the training data, as the
first message of a conversation and after an answer, each get a reply (RulePolicy
predicts nothing where no rule applies, and the patient would hear silence)."""

from __future__ import annotations

import re
import uuid
from typing import Dict, List, Tuple

import pytest
import yaml

from devstack.stack import Stack
from meso.settings import PROJECT_ROOT

ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](\([^)]*\)|\{[^}]*\})")


def training_examples() -> Dict[str, List[str]]:
    """intent -> its examples (entity markup removed), from data/nlu."""
    examples: Dict[str, List[str]] = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text())["nlu"]:
            if "intent" in item:
                lines = [line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")]
                examples.setdefault(item["intent"], []).extend(ENTITY_MARKUP.sub(r"\1", line) for line in lines)
    return examples


def cases() -> List[Tuple[str, str]]:
    """Three examples of each intent: its first, middle and last."""
    chosen = []
    for intent, lines in sorted(training_examples().items()):
        for index in sorted({0, len(lines) // 2, len(lines) - 1}):
            chosen.append((intent, lines[index]))
    return chosen


def test_every_domain_intent_has_examples() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    assert set(domain["intents"]) <= set(training_examples())


@pytest.mark.parametrize("opening", [None, "how much does it cost?"], ids=["first message", "after an answer"])
def test_every_intent_gets_a_reply(stack: Stack, opening: str) -> None:
    silent = []
    for intent, text in cases():
        sender = f"every-intent-{uuid.uuid4().hex[:8]}"
        if opening:
            assert stack.say(sender, opening)
        if not any(reply.get("text") for reply in stack.say(sender, text)):
            silent.append((intent, text))
    assert silent == [], f"no reply to {len(silent)} of {len(cases())} messages: {silent}"
