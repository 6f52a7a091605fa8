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

The red flags file is loaded and validated by `meso.safety.red_flags`; the reading rules
and policies are `meso.safety.context` (ConText rules as JSON data, one file per language).
Spanish: `facts/red_flags_es.yml` holds the Spanish terms and `context_rules_es.json`
the Spanish reading rules; the same policies apply. `BilingualScreen` runs the
English and the Spanish screens on every message, whatever its language, and merges them.

Over 300 lines on purpose: how a match is read in context (ConText modifiers, treatment links, stories that are over) is one decision and is kept together.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from meso.contract import URGENCY_RANK
from meso.safety.context import (
    ACUTE_REASONS,
    CONTEXT_RULES,
    CRISIS_POLICY,
    FAMILY,
    NEGATED,
    OVERRIDABLE,
    PAST,
    POLICIES,
    Policy,
    context_rules,
    load_context_rules,
    reading_words,
)
from meso.safety.red_flags import (
    LANGUAGES,
    TermGroup,
    default_red_flags_path,
    fold,
    folded,
    load_red_flags,
)

logger = logging.getLogger(__name__)

_EXCLUDE_LABEL = "_exclude"


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


class RiskScreen:
    """Screens patient messages for red flags; build once, call `screen` per message."""

    def __init__(
        self, red_flags_path: Optional[Path] = None, language: str = "en", context_rules: Optional[Path] = None
    ) -> None:
        """Loads the red flags of one language and builds the spaCy/medspaCy pipeline.

        Args:
            red_flags_path: the red flags file; defaults to `red_flags.yml` (English) or
                `red_flags_es.yml` (Spanish) in the facts folder (Settings.facts_dir).
            language: "en" or "es" (accents stripped); picks the red flags file and the
                ConText rules file (`meso.safety.context.CONTEXT_RULES`).
            context_rules: a ConText rules file instead of the language's own.

        Raises:
            RedFlagsError: when a file is missing or invalid.
        """
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; known: {LANGUAGES}")
        self.language = language
        self.path = Path(red_flags_path) if red_flags_path else default_red_flags_path(language)
        self.flags = load_red_flags(self.path)
        if language != "en":
            self.flags = folded(self.flags)
        self._rules_data = load_context_rules(context_rules or CONTEXT_RULES[language])
        self.words = reading_words(self._rules_data)
        self._groups: Dict[str, TermGroup] = {}
        self._links = [re.compile(p, re.IGNORECASE) for p in self.flags.link_regex] + [
            re.compile(r"\b" + re.escape(t) + r"\b", re.IGNORECASE) for t in self.flags.link_terms
        ]
        self.nlp = self._build()

    def _build(self) -> Any:
        _silence_pyrush()
        import spacy
        from medspacy.context import ConText
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
        context.add(context_rules(self._rules_data, self._groups, context.DEFAULT_RULES_FILEPATH))
        return nlp

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
            if category in OVERRIDABLE and any(token.lower_ in self.words.first_person for token in between):
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
            policy = CRISIS_POLICY if group.crisis else POLICIES[group.reason]
            if self._suppressed(ent, policy):
                continue
            if group.reason in ACUTE_REASONS and not group.crisis and self._resolved_later(ent):
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
