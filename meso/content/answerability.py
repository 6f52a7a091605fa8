"""Whether a fact answers a question, decided from the answer index's matches.

A fact is given as the answer only when the question is close to one of the
questions that fact lists, and clearly closer to it than to anything else. A
question closest to a known-unknown (`not_covered:`) is declined with its subject.
Anything less sure is declined plainly: a neighbouring fact is never presented as
the answer. The thresholds were chosen on the development half of
eval/answers (docs/ANSWERS.md, `make eval`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional, Sequence, Tuple

from meso.content.index import Match

Outcome = Literal["answer", "not_covered", "clinic", "unsure"]

# A fact answers when its best question scores at least this ...
ANSWER_SCORE = 0.42
# ... and leads the best entry of another fact or known-unknown by this much.
ANSWER_MARGIN = 0.04
# A second fact joins the answer when it scores this close to the first.
SECOND_FACT_GAP = 0.03
# A known-unknown or clinic detail is recognised from this score.
KNOWN_SCORE = 0.42


@dataclass(frozen=True)
class Decision:
    """What to do with one question."""

    outcome: Outcome
    key: Optional[str] = None  # not_covered id or clinic detail
    facts: Tuple[str, ...] = ()  # fact ids given as the answer, best first
    confidence: float = 0.0  # the best match's score
    closest: Optional[Match] = None


def decide(matches: Sequence[Match]) -> Decision:
    """The decision for one question from its best-first matches."""
    if not matches:
        return Decision("unsure")
    top = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if top.entry.kind == "fact":
        if top.score >= ANSWER_SCORE and top.score - runner_up >= ANSWER_MARGIN:
            return Decision("answer", facts=(top.entry.key,), confidence=top.score, closest=top)
        second = matches[1] if len(matches) > 1 else None
        if (
            second is not None
            and second.entry.kind == "fact"
            and top.score >= ANSWER_SCORE
            and top.score - second.score <= SECOND_FACT_GAP
            and (len(matches) < 3 or second.score - matches[2].score >= ANSWER_MARGIN)
        ):
            # Two facts answer it about equally well, and both lead the rest.
            return Decision(
                "answer", facts=(top.entry.key, second.entry.key), confidence=top.score, closest=top
            )
        return Decision("unsure", confidence=top.score, closest=top)
    if top.score >= KNOWN_SCORE:
        return Decision(top.entry.kind, key=top.entry.key, confidence=top.score, closest=top)
    return Decision("unsure", confidence=top.score, closest=top)
