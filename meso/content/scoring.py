"""Scores the answer path on a labelled evaluation set (eval/answers/).

Each labelled message lists the questions it asks: the fact ids that answer each
one (any of them is a right answer) or `not_covered`. A message's outcome is what
the assistant did: the facts it gave as answers, how many questions it declined,
or that it fell back (topic menu, "I didn't understand", a risk reply).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

FALLBACK, ESCALATED, ANSWERED = "fallback", "escalated", "answered"


@dataclass(frozen=True)
class Outcome:
    """What the assistant did with one message."""

    route: str  # answered (the answer path ran) | fallback | escalated
    facts: Tuple[str, ...] = ()
    declined: int = 0
    note: str = ""  # the intent, when the message never reached the answer path


@dataclass
class Tally:
    """Counts over a set, with the misses named."""

    covered: int = 0
    covered_right: int = 0
    not_covered: int = 0
    not_covered_declined: int = 0
    messages: int = 0
    neighbouring: int = 0
    fallback: int = 0
    escalated: int = 0
    misses: List[Dict[str, Any]] = field(default_factory=list)

    def rates(self) -> Dict[str, float]:
        def share(part: int, whole: int) -> float:
            return round(part / whole, 4) if whole else 0.0

        return {
            "covered_answered_right": share(self.covered_right, self.covered),
            "not_covered_declined": share(self.not_covered_declined, self.not_covered),
            "neighbouring_fact_rate": share(self.neighbouring, self.messages),
            "fallback_rate": share(self.fallback, self.messages),
            "escalated_rate": share(self.escalated, self.messages),
        }


def labels_of(message: Mapping[str, Any]) -> Tuple[List[Tuple[str, ...]], int]:
    """(fact-id sets of the covered questions, number of not-covered questions)."""
    covered: List[Tuple[str, ...]] = []
    not_covered = 0
    for question in message.get("questions") or []:
        if "facts" in question:
            covered.append(tuple(question["facts"]))
        else:
            not_covered += 1
    return covered, not_covered


def score(messages: Sequence[Mapping[str, Any]], outcomes: Sequence[Outcome]) -> Tally:
    """Tallies outcomes against labels (the two sequences are aligned)."""
    tally = Tally()
    for message, outcome in zip(messages, outcomes, strict=True):
        covered, not_covered = labels_of(message)
        tally.messages += 1
        tally.covered += len(covered)
        tally.not_covered += not_covered
        given = set(outcome.facts)
        right = sum(1 for facts in covered if given & set(facts))
        labelled = {fact for facts in covered for fact in facts}
        neighbours = sorted(given - labelled)
        declined = min(not_covered, outcome.declined) if not neighbours else max(
            0, min(not_covered, outcome.declined) - len(neighbours)
        )
        tally.covered_right += right
        tally.not_covered_declined += declined
        tally.neighbouring += bool(neighbours)
        tally.fallback += outcome.route == FALLBACK
        tally.escalated += outcome.route == ESCALATED
        if right < len(covered) or declined < not_covered or neighbours or outcome.route != ANSWERED:
            tally.misses.append(
                {
                    "id": message.get("id"),
                    "text": message.get("text"),
                    "expected": message.get("questions"),
                    "route": outcome.route + (f" ({outcome.note})" if outcome.note else ""),
                    "gave": list(outcome.facts),
                    "declined": outcome.declined,
                    "neighbouring": neighbours,
                }
            )
    return tally
