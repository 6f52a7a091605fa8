"""The conversations the benchmark sends: a fixed, realistic mix (pure)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator, List, Sequence, Tuple

# Each script is one conversation of several turns. Weights: most visitors ask
# about the treatment, some chat, some disclose a risk, a few ask for a call back.
TOPIC_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("hi", "what is mesotherapy?", "tell me more", "does it hurt?", "thanks, bye"),
    ("hello there", "how much does a session cost?", "how many sessions will I need?", "thank you"),
    ("what areas of the body can be treated?", "can it be used on the face?", "tell me more", "bye"),
    ("does mesotherapy help with hair loss?", "how long does a session take?", "what is the recovery like?"),
    ("is it safe?", "who should not have mesotherapy?", "is there an age limit?", "ok thanks"),
    ("can mesotherapy replace liposuction?", "will it help me lose weight?", "tell me more"),
    ("are the needles big?", "do you use anesthesia?", "who is the doctor?", "where is the clinic?"),
)
RISK_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("hi", "I had mesotherapy yesterday and now I have a fever and the area is swollen and hot"),
    ("I am pregnant, can I have mesotherapy?", "no thanks"),
    ("after my treatment I can't breathe properly and my face is swelling",),
    ("my sister had a bad reaction, is that common?", "thanks"),
)
CHITCHAT_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("hey", "are you a bot?", "what can you do?", "ok bye"),
    ("good morning", "what's the weather like today?", "thanks anyway"),
)
CALLBACK_SCRIPTS: Tuple[Tuple[str, ...], ...] = (
    ("can someone call me back?", "Maria Lopez", "8185550147", "weekday mornings", "yes"),
)
WEIGHTED: Tuple[Tuple[Tuple[Tuple[str, ...], ...], int], ...] = (
    (TOPIC_SCRIPTS, 60),
    (RISK_SCRIPTS, 15),
    (CHITCHAT_SCRIPTS, 15),
    (CALLBACK_SCRIPTS, 10),
)


@dataclass(frozen=True)
class Conversation:
    """One conversation: a sender id and its turns, sent one after the other."""

    sender: str
    turns: Tuple[str, ...]


def all_messages() -> List[str]:
    """Every distinct message of the mix, in a stable order (for NLU timing)."""
    seen: List[str] = []
    for scripts, _ in WEIGHTED:
        for script in scripts:
            seen.extend(turn for turn in script if turn not in seen)
    return seen


def conversations(seed: int, prefix: str = "bench") -> Iterator[Conversation]:
    """An endless, reproducible stream of conversations drawn from the weighted mix."""
    rng = random.Random(seed)
    groups: Sequence[Tuple[Tuple[str, ...], ...]] = [scripts for scripts, _ in WEIGHTED]
    weights = [weight for _, weight in WEIGHTED]
    number = 0
    while True:
        scripts = rng.choices(groups, weights=weights)[0]
        number += 1
        yield Conversation(sender=f"{prefix}-{seed}-{number}", turns=rng.choice(scripts))
