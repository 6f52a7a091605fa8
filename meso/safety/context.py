"""The ConText reading rules: which modifiers cancel a red flag, and the rules as JSON data.

medspaCy's ConText decides whether a matched term is a personal disclosure or something
else (negated, about another person, hypothetical, a general question, long past). The
rules for patients' messages are data, one JSON file per language, as medspaCy keeps its
own: `context_rules_en.json` (medspaCy's defaults minus those written for clinical notes,
plus ours) and `context_rules_es.json`. Each file also lists the reading words the screen
looks for beside ConText (first person, present, resolved cues, "me too").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Optional

from meso.contract import SCREEN_REASON_URGENCY
from meso.safety.red_flags import RedFlagsError, TermGroup

HERE = Path(__file__).resolve().parent
CONTEXT_RULES_EN = HERE / "context_rules_en.json"
CONTEXT_RULES_ES = HERE / "context_rules_es.json"
CONTEXT_RULES = {"en": CONTEXT_RULES_EN, "es": CONTEXT_RULES_ES}

# ConText categories as this module reads them.
NEGATED = "NEGATED_EXISTENCE"
FAMILY = "FAMILY"
HYPOTHETICAL = "HYPOTHETICAL"
GENERAL = "GENERAL"
PAST = "PAST_EVENT"  # a symptom that happened long ago is not an emergency now


@dataclass(frozen=True)
class Policy:
    """Which ConText modifiers stop a match from counting as a disclosure.

    Attributes:
        suppressed_by: modifier categories that cancel the match.
        negation_window: when set, a negation only counts if at most this many tokens
            separate it from the match (guards symptoms against far-away negations).
        others_only_now: another person's match counts only when its sentence says it
            is happening now ("my wife had it on Friday and now the area is infected").
    """

    suppressed_by: FrozenSet[str] = frozenset()
    negation_window: Optional[int] = None
    others_only_now: bool = False


_CONTRAINDICATION = Policy(frozenset({NEGATED, FAMILY, HYPOTHETICAL, GENERAL}))
_ACUTE = Policy(frozenset({NEGATED, HYPOTHETICAL, GENERAL, PAST}), negation_window=3)
_CRISIS = Policy(frozenset({NEGATED}), negation_window=3)

POLICIES: Dict[str, Policy] = {
    "emergency": _ACUTE,
    "complication": Policy(_ACUTE.suppressed_by | {FAMILY}, _ACUTE.negation_window, others_only_now=True),
    "pregnancy": _CONTRAINDICATION,
    "blood_clots": _CONTRAINDICATION,
    "stroke": _CONTRAINDICATION,
    "cancer": _CONTRAINDICATION,
    "minor": Policy(),
}

CRISIS_POLICY = _CRISIS
# Reasons whose matches a later "it's over" sentence can cancel.
ACUTE_REASONS = ("emergency", "complication")

# Modifiers that a first-person word between them and the match brings back to the
# writer: "my mother had a stroke and I had a DVT", "safe for people like me who...".
OVERRIDABLE = frozenset({FAMILY, GENERAL})


@dataclass(frozen=True)
class ReadingWords:
    """The words of one language that the reading rules look for beside ConText.

    Attributes:
        first_person: words that bring a FAMILY/GENERAL modifier back to the writer.
        present: words that keep an acute match current.
        resolved_cues: literals of PAST rules that end a story in a later sentence.
        me_too: "my dad had a stroke and so did I".
    """

    first_person: FrozenSet[str]
    present: FrozenSet[str]
    resolved_cues: FrozenSet[str]
    me_too: Any


def load_context_rules(path: Path) -> Dict[str, Any]:
    """Reads a JSON file of ConText rules and reading words (context_rules_en.json, _es.json).

    Raises:
        RedFlagsError: naming the file when it is missing or malformed.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RedFlagsError(f"{path}: cannot read ConText rules: {exc}") from exc
    required = {"first_person", "present_words", "resolved_cues", "me_too", "rules"}
    if not isinstance(data, dict) or required - set(data):
        raise RedFlagsError(f"{path}: expected keys {sorted(required)}")
    for index, rule in enumerate(data["rules"]):
        if not isinstance(rule, dict) or not {"literal", "category"} <= set(rule):
            raise RedFlagsError(f"{path}: rules[{index}]: needs literal and category")
        unknown = set(rule.get("reasons") or ()) - set(SCREEN_REASON_URGENCY)
        if unknown:
            raise RedFlagsError(f"{path}: rules[{index}] ({rule['literal']}): unknown reasons {sorted(unknown)}")
    return data


def reading_words(data: Mapping[str, Any]) -> ReadingWords:
    """The reading words of a rules file."""
    return ReadingWords(
        frozenset(data["first_person"]),
        frozenset(data["present_words"]),
        frozenset(data["resolved_cues"]),
        re.compile(data["me_too"], re.IGNORECASE),
    )


def context_rules(data: Mapping[str, Any], groups: Mapping[str, TermGroup], defaults_path: Optional[str]) -> List[Any]:
    """medspaCy ConTextRules from a rules file; `reasons` limits a rule to those reason codes.

    Args:
        data: a file read by `load_context_rules`.
        groups: the screen's term groups by matcher label.
        defaults_path: medspaCy's default rules file, used when the data asks for it
            (`medspacy_defaults`), without the `dropped_default_rules` literals.
    """
    from medspacy.context import ConTextRule

    rules: List[Any] = []
    if data.get("medspacy_defaults") and defaults_path:
        dropped = set(data.get("dropped_default_rules") or ())
        rules = [rule for rule in ConTextRule.from_json(defaults_path) if rule.literal.lower() not in dropped]
    for raw in data["rules"]:
        raw = dict(raw)
        only = raw.pop("reasons", None)
        if only:
            raw["allowed_types"] = {label for label, group in groups.items() if group.reason in only}
        if raw.get("terminated_by"):
            raw["terminated_by"] = set(raw["terminated_by"])
        rules.append(ConTextRule(**raw))
    return rules
