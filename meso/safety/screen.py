"""The risk screen: finds contraindications, complications and emergencies in a message.

It runs on every patient message, whatever its intent. Terms come from the staff-owned
`facts/red_flags.yml`; medspaCy's TargetMatcher finds them and ConText decides whether each
one is a personal disclosure or something else (negated, about another person,
hypothetical, or a general question). Plain Python: no Rasa imports.

Reading rules per reason (see `POLICIES`):

* contraindications (pregnancy, blood_clots, stroke, cancer): suppressed by negation,
  family/other experiencer, hypotheticals and general questions; history is a disclosure,
  and so is uncertainty ("I might be pregnant").
* minor: age and school-grade patterns are specific enough to always count, including a
  parent asking for a child ("my 14 year old daughter").
* emergency: someone else's emergency still counts; only a negation next to the symptom
  ("no chest pain"), a hypothetical or a general question suppresses it. Negations inside
  the symptom ("I can't breathe") are part of the term and never suppress it.
* crisis terms (suicidal thoughts): only a negation next to the term suppresses them.
* complication: needs a link to a treatment already given (`treatment_links`) and is
  suppressed like an emergency; someone else's counts only when it is happening now.
* emergency and complication: a later sentence saying it is over ("I've felt fine since")
  suppresses them too, unless a word of the present comes between.

Spanish: `facts/red_flags_es.yml` holds the Spanish terms and `meso/safety/context_rules_es.json`
the Spanish reading rules (as data); the same policies apply. `BilingualScreen` runs the
English and the Spanish screens on every message, whatever its language, and merges them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import yaml

from meso.contract import SCREEN_REASON_URGENCY as REASON_URGENCY
from meso.contract import URGENCY_RANK

logger = logging.getLogger(__name__)

RED_FLAGS_FILE = "red_flags.yml"
RED_FLAGS_FILES = {"en": RED_FLAGS_FILE, "es": "red_flags_es.yml"}
CONTEXT_RULES_ES = Path(__file__).resolve().parent / "context_rules_es.json"
LANGUAGES = ("en", "es")

_TOP_KEYS = {"version", "treatment_links", "reasons"}
_LINK_KEYS = {"terms", "regex"}
_REASON_KEYS = {"urgency", "groups", "exclude", "description"}
_GROUP_KEYS = {"name", "terms", "regex", "patterns", "crisis", "needs_treatment_link"}

_EXCLUDE_LABEL = "_exclude"

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

# A first-person word between a FAMILY/GENERAL modifier and the match brings it back to
# the writer: "my mother had a stroke and I had a DVT", "safe for people like me who...".
_FIRST_PERSON = {"i", "me", "my", "mine", "myself", "im", "ive", "id"}
_OVERRIDABLE = {FAMILY, GENERAL}

# Default medspaCy ConText rules written for clinical notes that misread patients
# ("cancer free" is a history of cancer; "resolved" DVT is still a DVT).
_DROPPED_DEFAULT_RULES = {
    "free",
    "free of",
    "resolved",
    "now resolved",
    "no longer present",
    "return",
    "as needed",
    "come back for",
    "prophylaxis",
    "decline",
    "deny",
    "test for",
    "checked for",
    "evaluate for",
    "to exclude",
    "clear of",
    "r/o",
    "ro",
    "risks of",
    "rule out",
    "rule the patient out",
}

_OTHER_PEOPLE = [
    "friend", "friends", "bestie", "bff", "boyfriend", "girlfriend", "bf", "gf", "fiance", "fiancee",
    "coworker", "coworkers", "colleague", "neighbor", "neighbour", "roommate", "boss", "client",
    "cousin", "aunt", "uncle", "grandma", "grandpa", "granny", "nana", "mum", "mam", "mommy",
    "daddy", "stepmom", "stepdad", "bro", "sis",
]

_CONTRAINDICATIONS = ("pregnancy", "blood_clots", "stroke", "cancer")
_PRESENT_WORDS = {"now", "today", "currently", "tonight", "suddenly", "still", "right"}
_RESOLVED_CUES = {"cleared", "went away", "fine since"}
_ACUTE_REASONS = ("emergency", "complication")
_NOW = ("PRESENT",)
# "My dad had a stroke and so did I": the writer joins the other person.
_ME_TOO = re.compile(
    r"\b(?:so\s+(?:did|have|do|am|was)\s+i|me\s+too|i\s+(?:did|have|had|do|am|was)\s+(?:one\s+)?too|as\s+did\s+i"
    r"|same\s+(?:here|for\s+me|with\s+me))\b",
    re.IGNORECASE,
)

_TREATMENT_WORDS = [
    "injection", "injections", "shot", "shots", "jab", "jabs", "treatment", "treatments", "session", "sessions",
    "mesotherapy", "meso", "procedure", "needles", "mesolift",
]

# Extra ConText rules for patient messages:
# (literal, category, direction, pattern, max_scope[, reasons it may modify[, terminated by]]).
_EXTRA_RULES: List[Tuple[Any, ...]] = [
    # Negations as patients type them.
    ("never", NEGATED, "FORWARD", None, None),
    ("sms negation", NEGATED, "FORWARD",
     [{"LOWER": {"IN": ["nt", "dnt", "dont", "didnt", "doesnt", "havent", "hasnt", "isnt", "wasnt",
                        "arent", "aint", "nope"]}},
      {"LOWER": {"IN": ["have", "had", "got", "get", "think", "feel"]}, "OP": "?"}], None),
    ("none", NEGATED, "BACKWARD", None, 3),
    # "No, I'm pregnant": an answer, not a negation.
    ("no,", "PSEUDO_NO", "PSEUDO", [{"LOWER": {"IN": ["no", "nope", "nah"]}}, {"IS_PUNCT": True}], None),
    # Uncertainty is still a disclosure ("not sure if I'm pregnant").
    ("not sure", "POSSIBLE_EXISTENCE", "FORWARD",
     [{"LOWER": {"IN": ["not", "n't", "nt"]}}, {"LOWER": {"IN": ["sure", "certain", "know"]}},
      {"LOWER": {"IN": ["if", "whether"]}, "OP": "?"}], None),
    ("might be", "POSSIBLE_EXISTENCE", "FORWARD",
     [{"LOWER": {"IN": ["may", "might", "could"]}}, {"LOWER": "be"}], None),
    # Hypotheticals and plans.
    ("what if", HYPOTHETICAL, "FORWARD", None, None),
    ("in case", HYPOTHETICAL, "FORWARD", None, None),
    ("get pregnant", HYPOTHETICAL, "FORWARD",
     [{"LOWER": {"IN": ["get", "getting", "become", "becoming", "gets", "conceive"]}}], 1, ("pregnancy",)),
    ("planning", HYPOTHETICAL, "FORWARD",
     [{"LOWER": {"IN": ["planning", "plan", "trying", "hoping", "want", "wanting"]}}, {"LOWER": "to"}], 3,
     ("pregnancy",)),
    ("should i", HYPOTHETICAL, "FORWARD",
     [{"LOWER": "what"}, {"LOWER": {"IN": ["should", "do", "would"]}}, {"LOWER": {"IN": ["i", "you", "we"]}}], None),
    ("what happens", HYPOTHETICAL, "FORWARD",
     [{"LOWER": "what"}, {"LOWER": {"IN": ["happens", "happen", "about"]}}], None),
    # Questions about what might happen after a treatment ("will I get lumps?"): acute
    # reasons only, so "can I do it while expecting" stays a disclosure.
    ("will i get", HYPOTHETICAL, "FORWARD",
     [{"LOWER": {"IN": ["will", "would", "could", "might", "can", "do", "does"]}},
      {"LOWER": {"IN": ["i", "you", "it", "the", "this", "that", "they", "these", "those", "we", "a"]}},
      {"LOWER": {"IN": _TREATMENT_WORDS}, "OP": "?"},
      {"LOWER": {"IN": ["get", "give", "have", "develop", "leave"]}}],
     4, _ACUTE_REASONS),
    # "is it safe to get injections in the second trimester?": a general question.
    ("safe to", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["safe", "ok", "okay", "fine", "possible", "allowed"]}}, {"LOWER": "to"},
      {"LOWER": {"IN": ["get", "have", "do", "be", "receive", "go"]}}], 6, _CONTRAINDICATIONS),
    # "now", "today": the present starts here, a long-past event stops.
    ("now", "PRESENT", "PSEUDO",
     [{"LOWER": {"IN": ["now", "today", "currently", "tonight", "suddenly", "just"]}}], None),
    # Long-past events ("I passed out last time I had blood drawn"); acute reasons only.
    ("last time", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["last", "one", "every", "each"]}}, {"LOWER": "time"}], None, _ACUTE_REASONS, _NOW),
    ("years ago", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["years", "year", "months", "month", "yrs", "yr"]}}, {"LOWER": "ago"}], None, _ACUTE_REASONS, _NOW),
    ("in the past", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["in", "at"]}}, {"LOWER": "the"}, {"LOWER": "past"}], None, _ACUTE_REASONS, _NOW),
    ("used to", PAST, "FORWARD", [{"LOWER": "used"}, {"LOWER": "to"}], None, _ACUTE_REASONS, _NOW),
    # Over and done with: "antibiotics cleared it", "felt totally fine since", "in 2022".
    ("cleared", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["cleared", "healed", "resolved", "subsided", "settled"]}}], None, _ACUTE_REASONS, _NOW),
    ("went away", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["went", "gone", "go"]}}, {"LOWER": {"IN": ["away", "down"]}}], None, _ACUTE_REASONS, _NOW),
    ("fine since", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["fine", "ok", "okay", "good", "normal", "great"]}},
      {"LOWER": {"IN": ["since", "ever", "afterwards", "after"]}}], None, _ACUTE_REASONS, _NOW),
    ("once", PAST, "BIDIRECTIONAL", [{"LOWER": "once"}],
     None, _ACUTE_REASONS, _NOW),
    ("in 2022", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["in", "back"]}}, {"TEXT": {"REGEX": r"^(?:19|20)\d\d$"}}], None, _ACUTE_REASONS, _NOW),
    ("as a kid", PAST, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["as", "when"]}}, {"LOWER": {"IN": ["a", "i"]}},
      {"LOWER": {"IN": ["kid", "child", "teen", "teenager", "was"]}}], None, _ACUTE_REASONS, _NOW),
    # Other people.
    ("other people", FAMILY, "FORWARD", [{"LOWER": {"IN": _OTHER_PEOPLE}}, {"LOWER": {"IN": ["'s", "'"]}, "OP": "?"}], None),
    ("she/he", FAMILY, "FORWARD",
     [{"LOWER": {"IN": ["she", "he", "shes", "hes"]}}], 4),
    # General questions about groups of people or effects of the treatment.
    ("people with", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["people", "patients", "anyone", "anybody", "someone", "somebody", "those", "person",
                        "women", "woman", "ladies", "men", "clients", "individuals", "folks"]}},
      {"LOWER": {"IN": ["with", "who", "that", "having", "that's", "who's", "whos", "thats"]}}], 6),
    ("pregnant women", GENERAL, "BACKWARD",
     [{"LOWER": {"IN": ["women", "woman", "ladies", "people", "patients", "survivors", "sufferers",
                        "moms", "mothers", "mums", "girls", "clients"]}}], 2),
    ("cause", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["cause", "causes", "causing", "caused", "trigger", "triggers", "worsen"]}}], 6),
    ("give you", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["give", "gives", "lead", "leads", "linked", "related"]}},
      {"LOWER": {"IN": ["you", "to", "people"]}}], 6),
    ("risk of", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["risk", "risks", "chance", "chances", "likelihood", "odds"]}},
      {"LOWER": {"IN": ["of", "for"]}}], 6),
    ("increase the risk", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["increase", "increases", "raise", "raises"]}}, {"LOWER": "the", "OP": "?"},
      {"LOWER": {"IN": ["risk", "chance"]}}], 6),
    ("side effects", GENERAL, "BIDIRECTIONAL",
     [{"LOWER": "side"}, {"LOWER": {"IN": ["effect", "effects"]}}], None),
    ("safe for", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["safe", "ok", "okay", "allowed", "suitable", "recommended"]}},
      {"LOWER": {"IN": ["for", "during", "with", "in"]}}], 4),
    ("during", GENERAL, "FORWARD", None, 2),
    ("do you treat", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["do", "can", "will", "would"]}}, {"LOWER": "you"},
      {"LOWER": {"IN": ["treat", "accept", "take", "see", "do"]}}], 5),
    ("types of", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["type", "types", "kind", "kinds", "form", "forms", "sort", "sorts"]}}, {"LOWER": "of"}], 3,
     _CONTRAINDICATIONS),
    ("why are", GENERAL, "FORWARD",
     [{"LOWER": {"IN": ["why", "how"]}}, {"LOWER": {"IN": ["are", "is", "would", "does", "do", "can", "ca", "could"]}}],
     5, _CONTRAINDICATIONS),
    ("contraindications", GENERAL, "BIDIRECTIONAL",
     [{"LOWER": {"IN": ["contraindication", "contraindications", "contraindicated"]}}], None),
]


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


ENGLISH_WORDS = ReadingWords(
    frozenset(_FIRST_PERSON), frozenset(_PRESENT_WORDS), frozenset(_RESOLVED_CUES), _ME_TOO
)


def fold(text: str) -> str:
    """Lower case without accents ("Embarazada de 12 semanas" == "embarazada de 12 semanas").

    Each accented letter becomes one plain letter, so the length is kept.
    """
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", plain).lower()


def load_context_rules(path: Path) -> Dict[str, Any]:
    """Reads a JSON file of ConText rules and reading words (meso/safety/context_rules_es.json).

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
        unknown = set(rule.get("reasons") or ()) - set(REASON_URGENCY)
        if unknown:
            raise RedFlagsError(f"{path}: rules[{index}] ({rule['literal']}): unknown reasons {sorted(unknown)}")
    return data


class RedFlagsError(ValueError):
    """Raised when red_flags.yml is malformed; the message names the file and entry."""


@dataclass(frozen=True)
class Finding:
    """One red flag found in a message.

    Attributes:
        reason: reason code (docs/CONTRACTS.md).
        urgency: emergency | urgent | routine.
        term: the matched text, for staff; never logged at info level.
        crisis: True for suicide-related terms (988 as well as 911).
    """

    reason: str
    urgency: str
    term: str
    crisis: bool = False
    # Where in the (normalised) message the term was found, and which language's terms
    # found it; not part of the result.
    span: Tuple[int, int] = field(default=(0, 0), compare=False, repr=False)
    language: str = field(default="en", compare=False, repr=False)


@dataclass(frozen=True)
class Screening:
    """The result of screening one message."""

    findings: Tuple[Finding, ...] = ()

    @property
    def is_risky(self) -> bool:
        """True when anything was found."""
        return bool(self.findings)

    @property
    def urgency(self) -> Optional[str]:
        """The highest urgency found, or None for a benign message."""
        if not self.findings:
            return None
        return max((f.urgency for f in self.findings), key=URGENCY_RANK.__getitem__)

    @property
    def reasons(self) -> List[str]:
        """Unique reason codes, most urgent first, then in order of appearance."""
        order: Dict[str, Tuple[int, int]] = {}
        for index, finding in enumerate(self.findings):
            if finding.reason not in order:
                order[finding.reason] = (-URGENCY_RANK[finding.urgency], index)
        return sorted(order, key=order.__getitem__)

    @property
    def is_emergency(self) -> bool:
        """True when the message needs 911 now."""
        return self.urgency == "emergency"

    @property
    def is_crisis(self) -> bool:
        """True when a suicide-related term was found (988 as well as 911)."""
        return any(f.crisis for f in self.findings)

    def as_dict(self) -> Dict[str, Any]:
        """JSON-friendly form carried in the parse data."""
        return {
            "urgency": self.urgency,
            "reasons": self.reasons,
            "crisis": self.is_crisis,
            "findings": [
                {"reason": f.reason, "urgency": f.urgency, "term": f.term, "crisis": f.crisis}
                for f in self.findings
            ],
        }


@dataclass(frozen=True)
class TermGroup:
    """A validated group of terms from red_flags.yml."""

    reason: str
    name: str
    terms: Tuple[str, ...] = ()
    regex: Tuple[str, ...] = ()
    patterns: Tuple[Any, ...] = ()
    crisis: bool = False
    needs_treatment_link: bool = False


@dataclass(frozen=True)
class RedFlags:
    """The validated contents of red_flags.yml."""

    groups: Tuple[TermGroup, ...]
    excludes: Tuple[str, ...] = ()
    link_terms: Tuple[str, ...] = ()
    link_regex: Tuple[str, ...] = ()
    urgency: Dict[str, str] = field(default_factory=dict)


def _fail(path: Path, where: str, problem: str) -> RedFlagsError:
    return RedFlagsError(f"{path}: {where}: {problem}")


def _check_keys(path: Path, where: str, value: Any, allowed: set) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, where, f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(path, where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    return value


def _strings(path: Path, where: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, where, "expected a list")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(path, f"{where}[{i}]", "expected a non-empty string")
        out.append(" ".join(item.split()))
    return tuple(out)


def _regexes(path: Path, where: str, value: Any) -> Tuple[str, ...]:
    out = _strings(path, where, value)
    for i, pattern in enumerate(out):
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise _fail(path, f"{where}[{i}]", f"invalid regular expression: {exc}") from exc
    return out


def load_red_flags(path: Path) -> RedFlags:
    """Reads and validates red_flags.yml.

    Args:
        path: the YAML file.

    Returns:
        The validated red flags.

    Raises:
        RedFlagsError: naming the file and the entry at fault.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RedFlagsError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RedFlagsError(f"{path}: invalid YAML: {exc}") from exc
    data = _check_keys(path, "top level", data, _TOP_KEYS)
    links = _check_keys(path, "treatment_links", data.get("treatment_links") or {}, _LINK_KEYS)
    link_terms = _strings(path, "treatment_links.terms", links.get("terms"))
    link_regex = _regexes(path, "treatment_links.regex", links.get("regex"))

    reasons = data.get("reasons")
    if not isinstance(reasons, dict) or not reasons:
        raise _fail(path, "reasons", "expected a mapping of reason code to entry")
    groups: List[TermGroup] = []
    excludes: List[str] = []
    urgency: Dict[str, str] = {}
    for reason, entry in reasons.items():
        where = f"reasons.{reason}"
        if reason not in REASON_URGENCY:
            raise _fail(path, where, f"unknown reason {reason!r}; known: {sorted(REASON_URGENCY)}")
        entry = _check_keys(path, where, entry, _REASON_KEYS)
        level = entry.get("urgency")
        if level not in URGENCY_RANK:
            raise _fail(path, f"{where}.urgency", f"bad urgency {level!r}; expected one of {sorted(URGENCY_RANK)}")
        if level != REASON_URGENCY[reason]:
            raise _fail(
                path,
                f"{where}.urgency",
                f"bad urgency {level!r}: docs/CONTRACTS.md fixes {reason} at {REASON_URGENCY[reason]!r}",
            )
        urgency[reason] = level
        excludes.extend(_strings(path, f"{where}.exclude", entry.get("exclude")))
        raw_groups = entry.get("groups")
        if not isinstance(raw_groups, list) or not raw_groups:
            raise _fail(path, f"{where}.groups", "expected a non-empty list of groups")
        for gi, raw in enumerate(raw_groups):
            gwhere = f"{where}.groups[{gi}]"
            raw = _check_keys(path, gwhere, raw, _GROUP_KEYS)
            name = str(raw.get("name") or f"{reason} {gi}")
            gwhere = f"{where}.groups[{gi}] ({name})"
            patterns = raw.get("patterns") or []
            if not isinstance(patterns, list) or not all(
                isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns
            ):
                raise _fail(path, f"{gwhere}.patterns", "expected a list of spaCy token patterns (lists of dicts)")
            for flag in ("crisis", "needs_treatment_link"):
                if not isinstance(raw.get(flag, False), bool):
                    raise _fail(path, f"{gwhere}.{flag}", "expected true or false")
            group = TermGroup(
                reason=reason,
                name=name,
                terms=_strings(path, f"{gwhere}.terms", raw.get("terms")),
                regex=_regexes(path, f"{gwhere}.regex", raw.get("regex")),
                patterns=tuple(patterns),
                crisis=bool(raw.get("crisis", False)),
                needs_treatment_link=bool(raw.get("needs_treatment_link", False)),
            )
            if not (group.terms or group.regex or group.patterns):
                raise _fail(path, gwhere, "empty term list: give at least one of terms, regex, patterns")
            groups.append(group)
    missing = sorted(set(REASON_URGENCY) - set(urgency))
    if missing:
        raise _fail(path, "reasons", f"missing reason(s) {missing}")
    return RedFlags(tuple(groups), tuple(excludes), link_terms, link_regex, urgency)


def normalise(text: str) -> str:
    """Normalises a message before matching: quotes, line breaks, whitespace.

    Line breaks end a sentence (SMS often has no punctuation); curly apostrophes become
    straight ones so "I’m" reads like "I'm". Letter case is handled by matching on LOWER.
    """
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"(?<![.!?])[ \t]*[\r\n]+\s*", ". ", text.strip())
    return " ".join(text.split())


def _silence_pyrush() -> None:
    """PyRuSH (imported by medspaCy) logs at DEBUG through loguru: keep it quiet."""
    try:
        from loguru import logger as loguru_logger

        loguru_logger.disable("PyRuSH")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass


def _default_path(language: str = "en") -> Path:
    name = RED_FLAGS_FILES[language]
    try:
        from meso.settings import get_settings

        return get_settings().facts_dir / name
    except Exception:  # pragma: no cover - settings are optional here
        return Path(__file__).resolve().parents[2] / "facts" / name


class RiskScreen:
    """Screens patient messages for red flags; build once, call `screen` per message."""

    def __init__(
        self, red_flags_path: Optional[Path] = None, language: str = "en", context_rules: Optional[Path] = None
    ) -> None:
        """Loads the red flags of one language and builds the spaCy/medspaCy pipeline.

        Args:
            red_flags_path: the red flags file; defaults to `red_flags.yml` (English) or
                `red_flags_es.yml` (Spanish) in the facts folder (Settings.facts_dir).
            language: "en" (medspaCy's rules plus `_EXTRA_RULES`) or "es" (accents
                stripped, rules from `context_rules`).
            context_rules: the Spanish ConText rules file; defaults to CONTEXT_RULES_ES.

        Raises:
            RedFlagsError: when a file is missing or invalid.
        """
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; known: {LANGUAGES}")
        self.language = language
        self.path = Path(red_flags_path) if red_flags_path else _default_path(language)
        self.flags = load_red_flags(self.path)
        if language == "en":
            self.words = ENGLISH_WORDS
            self._rules_data: Optional[Dict[str, Any]] = None
        else:
            self.flags = _folded(self.flags)
            self._rules_data = load_context_rules(context_rules or CONTEXT_RULES_ES)
            self.words = ReadingWords(
                frozenset(self._rules_data["first_person"]),
                frozenset(self._rules_data["present_words"]),
                frozenset(self._rules_data["resolved_cues"]),
                re.compile(self._rules_data["me_too"], re.IGNORECASE),
            )
        self._groups: Dict[str, TermGroup] = {}
        self._links = [re.compile(p, re.IGNORECASE) for p in self.flags.link_regex] + [
            re.compile(r"\b" + re.escape(t) + r"\b", re.IGNORECASE) for t in self.flags.link_terms
        ]
        self.nlp = self._build()

    def _build(self) -> Any:
        _silence_pyrush()
        import spacy
        from medspacy.context import ConText, ConTextRule
        from medspacy.ner import TargetMatcher, TargetRule

        # A red flags file without token `patterns` leaves one spaCy Matcher empty: harmless.
        warnings.filterwarnings("ignore", message=r"\[W036\]")
        nlp = spacy.blank(self.language)
        # spaCy's rule sentencizer: far faster than PyRuSH and good enough for chat messages.
        nlp.add_pipe("sentencizer")
        matcher: TargetMatcher = nlp.add_pipe("medspacy_target_matcher")
        rules: List[Any] = []
        for index, group in enumerate(self.flags.groups):
            label = f"{group.reason}:{index}"
            self._groups[label] = group
            rules += [TargetRule(term, label) for term in group.terms]
            rules += [TargetRule(pattern, label, pattern=pattern) for pattern in group.regex]
            rules += [TargetRule(group.name, label, pattern=list(p)) for p in group.patterns]
        rules += [TargetRule(term, _EXCLUDE_LABEL) for term in self.flags.excludes]
        matcher.add(rules)

        context: ConText = nlp.add_pipe("medspacy_context", config={"rules": None})
        if self._rules_data is not None:
            context.add(self._data_rules(self._rules_data["rules"]))
            return nlp
        context_rules = [
            rule
            for rule in ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)
            if rule.literal.lower() not in _DROPPED_DEFAULT_RULES
        ]
        for literal, category, direction, pattern, max_scope, *rest in _EXTRA_RULES:
            only = rest[0] if rest else None
            allowed = {label for label, group in self._groups.items() if group.reason in only} if only else None
            context_rules.append(
                ConTextRule(
                    literal, category, pattern=pattern, direction=direction, max_scope=max_scope,
                    allowed_types=allowed, terminated_by=rest[1] if len(rest) > 1 else None,
                )
            )
        context.add(context_rules)
        return nlp

    def _data_rules(self, raw_rules: List[Dict[str, Any]]) -> List[Any]:
        """ConText rules from JSON data; `reasons` limits a rule to those reason codes."""
        from medspacy.context import ConTextRule

        rules = []
        for raw in raw_rules:
            raw = dict(raw)
            only = raw.pop("reasons", None)
            if only:
                raw["allowed_types"] = {label for label, group in self._groups.items() if group.reason in only}
            if raw.get("terminated_by"):
                raw["terminated_by"] = set(raw["terminated_by"])
            rules.append(ConTextRule(**raw))
        return rules

    def _linked_to_treatment(self, text: str) -> bool:
        return any(pattern.search(text) for pattern in self._links)

    def _suppressed(self, ent: Any, policy: Policy) -> bool:
        doc = ent.doc
        for modifier in ent._.modifiers:
            category = modifier.category
            if category not in policy.suppressed_by:
                continue
            start, end = modifier.modifier_span
            # medspaCy 1.3.1 misses a modifier lying inside the target ("n't" in "can't
            # breathe", "don't want to live"): such a word is part of the symptom.
            if start < ent.end and ent.start < end:
                continue
            between = doc[end : ent.start] if end <= ent.start else doc[ent.end : start]
            if category == NEGATED and policy.negation_window is not None and len(between) > policy.negation_window:
                continue
            if category in _OVERRIDABLE and any(token.lower_ in self.words.first_person for token in between):
                continue
            if category == FAMILY and self.words.me_too.search(ent.sent.text):
                continue
            if category == FAMILY and policy.others_only_now and any(t.lower_ in self.words.present for t in ent.sent):
                continue
            return True
        return False

    def _resolved_later(self, ent: Any) -> bool:
        """An acute match that a later sentence says is over ("... I've felt fine since").

        ConText stops at the sentence; patients often tell the end of the story in the
        next one. Any word of the present between the match and the cue keeps it current.
        """
        doc = ent.doc
        for modifier in doc._.context_graph.modifiers:
            start, _ = modifier.modifier_span
            if modifier.category != PAST or modifier.rule.literal not in self.words.resolved_cues or start < ent.sent.end:
                continue
            if not any(token.lower_ in self.words.present for token in doc[ent.end : start]):
                return True
        return False

    def screen(self, text: str) -> Screening:
        """Screens one message.

        Args:
            text: the raw patient message.

        Returns:
            The findings; empty for a benign message.
        """
        return self.read(text)[0]

    def read(self, text: str) -> Tuple[Screening, Tuple[Tuple[int, int], ...]]:
        """Screens one message and also returns where every term matched, counted or not.

        The spans (character offsets of the normalised message, which accent stripping
        keeps) let `BilingualScreen` give a word both languages share ("cancer") to the
        language whose rules read it. Exclusions ("heat stroke") are matches too.
        """
        clean = normalise(text or "")
        if self.language != "en":
            clean = fold(clean)
        if not clean:
            return Screening(), ()
        doc = self.nlp(clean)
        matched = tuple((ent.start_char, ent.end_char) for ent in doc.ents)
        linked: Optional[bool] = None
        findings: List[Finding] = []
        seen = set()
        for ent in doc.ents:
            group = self._groups.get(ent.label_)
            if group is None:  # an exclusion such as "heat stroke"
                continue
            policy = _CRISIS if group.crisis else POLICIES[group.reason]
            if self._suppressed(ent, policy):
                continue
            if group.reason in _ACUTE_REASONS and not group.crisis and self._resolved_later(ent):
                continue
            if group.needs_treatment_link:
                if linked is None:
                    linked = self._linked_to_treatment(clean)
                if not linked:
                    continue
            key = (group.reason, ent.text.lower())
            if key in seen:
                continue
            seen.add(key)
            findings.append(
                Finding(
                    group.reason, self.flags.urgency[group.reason], ent.text, group.crisis,
                    span=(ent.start_char, ent.end_char), language=self.language,
                )
            )
        screening = Screening(tuple(findings))
        logger.debug(
            "risk screen (%s): reasons=%s urgency=%s", self.language, screening.reasons, screening.urgency
        )
        return screening, matched


def _folded(flags: RedFlags) -> RedFlags:
    """The red flags with accents stripped from every term and regex (Spanish)."""
    groups = tuple(
        TermGroup(
            group.reason, group.name, tuple(fold(t) for t in group.terms), tuple(fold(r) for r in group.regex),
            group.patterns, group.crisis, group.needs_treatment_link,
        )
        for group in flags.groups
    )
    return RedFlags(
        groups, tuple(fold(t) for t in flags.excludes), tuple(fold(t) for t in flags.link_terms),
        tuple(fold(r) for r in flags.link_regex), flags.urgency,
    )


class BilingualScreen:
    """The English and the Spanish screens on every message, whatever its language.

    Findings of both are merged. A term that both matched (a word the languages share,
    such as "cancer", or an English word in Spanglish, "mi mama tuvo un stroke") is read
    by the rules of the language the message reads as: "cero cancer" or "mi mama tuvo
    cancer" do not escalate through the English rules, which do not know those words,
    and "my mother had a stroke" is not read by the Spanish ones.
    """

    def __init__(self, english: Optional[RiskScreen] = None, spanish: Optional[RiskScreen] = None) -> None:
        self.english = english or RiskScreen(language="en")
        self.spanish = spanish or RiskScreen(language="es")

    def screen(self, text: str) -> Screening:
        """Screens one message in both languages."""
        english, english_spans = self.english.read(text)
        spanish, spanish_spans = self.spanish.read(text)
        if english_spans and spanish_spans:
            if _reads_spanish(text):
                english = _outside(english, spanish_spans)
            else:
                spanish = _outside(spanish, english_spans)
        findings: List[Finding] = []
        seen = set()
        for finding in english.findings + spanish.findings:
            key = (finding.reason, fold(finding.term))
            if key not in seen:
                seen.add(key)
                findings.append(finding)
        return Screening(tuple(findings))


def _outside(screening: Screening, spans: Tuple[Tuple[int, int], ...]) -> Screening:
    """The findings whose term overlaps none of `spans`."""
    return Screening(
        tuple(f for f in screening.findings if not any(f.span[0] < end and start < f.span[1] for start, end in spans))
    )


def _reads_spanish(text: str) -> bool:
    """Whether a message reads as Spanish (meso.language), for shared words only."""
    from meso.language import CONFIDENT_PROBABILITY, detect

    detection = detect(text)
    return detection.language == "es" and detection.probability >= CONFIDENT_PROBABILITY


_screen: Optional[BilingualScreen] = None
_lock = threading.Lock()


def get_risk_screen() -> BilingualScreen:
    """The process-wide screen (English and Spanish), built on first use."""
    global _screen
    if _screen is None:
        with _lock:
            if _screen is None:
                _screen = BilingualScreen()
    return _screen
