"""Whether a fact answers a question, decided from the answer index's matches.

A fact is given as the answer only when the question is close to one of the
questions that fact lists, and clearly closer to it than to anything else. A
question closest to a known-unknown (`not_covered:`) is declined with its subject.
Anything less sure is declined plainly: a neighbouring fact is never presented as
the answer. The thresholds were chosen on the development halves and
spent sets of eval/answers and eval/es (docs/ANSWERS.md, `make eval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Optional, Sequence, Tuple

from meso.content.index import Match

Outcome = Literal["answer", "not_covered", "clinic", "unsure"]

# A fact answers when its best question scores at least this ...
ANSWER_SCORE = 0.55
# ... and leads the best entry of another fact or known-unknown by this much.
ANSWER_MARGIN = 0.1
# A message that asks nothing ("I had some fat on my arms removed years ago") needs a closer match.
STATEMENT_SCORE = 0.6
# A known-unknown or clinic detail is recognised from this score.
KNOWN_SCORE = 0.4


@dataclass(frozen=True)
class Decision:
    """What to do with one question."""

    outcome: Outcome
    key: Optional[str] = None  # not_covered id or clinic detail
    facts: Tuple[str, ...] = ()  # fact ids given as the answer, best first
    confidence: float = 0.0  # the best match's score
    closest: Optional[Match] = None
    named: Optional[str] = None  # the product a not_covered question names ("Kybella")


def decide(
    matches: Sequence[Match], topic_of: Callable[[str], Optional[str]] = lambda _: None, least: float = ANSWER_SCORE
) -> Decision:
    """The decision for one question from its best-first matches.

    `topic_of` gives a fact's topic: two facts of one topic that match equally well
    are given together; a tie across topics is not an answer.
    """
    if not matches:
        return Decision("unsure")
    top = matches[0]
    runner_up = matches[1] if len(matches) > 1 else None
    lead = top.score - (runner_up.score if runner_up else 0.0)
    if top.score < (least if top.entry.kind == "fact" else KNOWN_SCORE):
        return Decision("unsure", confidence=top.score, closest=top)
    if top.entry.kind != "fact":
        return Decision(top.entry.kind, key=top.entry.key, confidence=top.score, closest=top)
    if lead >= ANSWER_MARGIN:
        return Decision("answer", facts=(top.entry.key,), confidence=top.score, closest=top)
    third = matches[2].score if len(matches) > 2 else 0.0
    if (
        runner_up is not None
        and runner_up.entry.kind == "fact"
        and topic_of(top.entry.key) is not None
        and topic_of(top.entry.key) == topic_of(runner_up.entry.key)
        and runner_up.score - third >= ANSWER_MARGIN
    ):
        return Decision("answer", facts=(top.entry.key, runner_up.entry.key), confidence=top.score, closest=top)
    return Decision("unsure", confidence=top.score, closest=top)
