"""The reply to a patient's question: the facts that answer each question asked,
or a plain "I don't have that", never a neighbouring fact in the answer's place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from meso.content.answerability import ANSWER_SCORE, STATEMENT_SCORE, Decision, decide
from meso.content.answers import callback_buttons, facts_reply
from meso.content.clauses import clause_spans
from meso.content.clinic import Clinic
from meso.content.facts import Fact, FactBook
from meso.content.index import AnswerIndex
from meso.content.phrases import say
from meso.content.wording import matching_form
from meso.replies import Reply, join

MAX_FACTS = 4
FOLLOW_UP = "A member of staff can follow up with you. Would you like a call back?"
_QUESTION_START = re.compile(
    r"^\s*(how|what|whats|what's|when|where|which|who|why|is|are|does|do|did|can|could|will|"
    r"would|should|any|tell|hw|wat|r|"
    # Spanish, accents optional: "cuanto cuesta", "q es", "se puede", "hay", "me puedo"
    r"que|q|k|qu[eé]|c[oó]mo|como|cu[aá]nto|cuanto|cuantos|cuantas|cu[aá]l|cual|cu[aá]ndo|cuando|"
    r"d[oó]nde|donde|qui[eé]n|quien|por\s*qu[eé]|porque|xq|pq|hay|se\s+puede|puedo|me\s+puedo|es|son|"
    r"tiene|tienen|duele|sirve|dura|cuesta|si|se|quedan|queda|dejan|deja|necesito|ocupo|funciona|ayuda|quita|"
    r"cubre|aceptan|atienden|hacen|abren|quiero|quisiera|ando\s+buscando)\b",
    re.IGNORECASE,
)


_LEADING_FILLER = re.compile(
    r"^\s*(?:(?:and|also|but|plus|so|ok|okay|oh|n|&|pls|please|quick q|hi|hey|y|roughly|approximately|approx|ballpark|just|like|tambien|también|oye|ola|hola|"
    r"buenas|una\s+pregunta|pregunta|otra\s+cosa|ah|este|mire|oiga|disculpe|perdon|perdón)\b[\s,¿¡]*)+",
    re.IGNORECASE,
)


# Questions asked as statements: "I'd like to know what's in it", "quisiera saber si duele".
_INDIRECT_QUESTION = re.compile(
    r"\b(?:like to know|want(?:ed)? to know|need to know|wondering|wonder|curious|tell me|"
    r"(?:quisiera|quiero|queria|quer[ií]a|me gustar[ií]a|necesito) saber|d[ií]game|dime)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Declined:
    """A question the facts do not answer: its subject when known, and its words."""

    text: str
    subject: Optional[str]
    decision: Decision


@dataclass(frozen=True)
class Answer:
    """The reply and what it did: facts given, questions declined."""

    reply: Reply
    facts: Tuple[str, ...]
    declined: Tuple[Declined, ...]
    last_topic: Optional[str]

    @property
    def offers_callback(self) -> bool:
        return bool(self.declined)


def looks_like_question(text: str) -> bool:
    """A clause that asks something (as opposed to "I'm 45", "thanks")."""
    return (
        "?" in text
        or bool(_QUESTION_START.match(_LEADING_FILLER.sub("", text).lstrip("¿¡ ")))
        or bool(_QUESTION_START.match(_LEADING_FILLER.sub("", matching_form(text))))  # "wats", "hw"
        or bool(_INDIRECT_QUESTION.search(text))
    )


def questions_of(text: str) -> List[str]:
    """The clauses of a message, with the question mark that closed each kept."""
    spans = clause_spans(text)
    return [text[start:end] + ("?" if text[end:end + 1] == "?" else "") for start, end in spans] or [text]


def decide_question(text: str, index: AnswerIndex, least: float = ANSWER_SCORE) -> Decision:
    """The decision for one question: a product the facts never speak of is declined
    by name, whatever else the question shares with a fact."""
    named = index.named(text)
    if named is not None:
        return Decision("not_covered", key=named[0], confidence=1.0, named=named[1])
    return decide(index.search(text), index.topic_of, least)


def decisions_for(text: str, index: AnswerIndex) -> List[Tuple[str, Decision]]:
    """(question, decision) for each question `text` asks, in order.

    A message of one clause is one question. In a longer message, the clauses that
    ask something are decided one by one and the others are background ("my sister
    loved it", "I'm 45"); only when no clause asks anything are all of them decided.
    When no clause is decided, the whole message is.
    """
    clauses = questions_of(text)
    asking = [clause for clause in clauses if looks_like_question(clause)]
    least = ANSWER_SCORE if asking else STATEMENT_SCORE
    if len(clauses) < 2:
        return [(text, decide_question(text, index, least))]
    decided = [(clause, decide_question(clause, index, least)) for clause in asking or clauses]
    if not any(d.outcome != "unsure" for _, d in decided):
        return [(text, decide_question(text, index, least))]
    return decided


CLINIC_DETAIL_NAMES_ES = {"phone": "el teléfono", "address": "la dirección", "hours": "el horario", "website": "la página web"}


def subject_of(decision: Decision, book: FactBook) -> Optional[str]:
    if decision.named:
        return decision.named
    if decision.outcome == "not_covered":
        entry = next((e for e in book.not_covered if e.id == decision.key), None)
        return entry.subject if entry else None
    if decision.outcome == "clinic":
        detail = str(decision.key)
        if book.language == "es":
            detail = CLINIC_DETAIL_NAMES_ES.get(detail, detail)
        return say("clinic_subject", book.language, detail=detail)
    return None


def respond(text: str, book: FactBook, index: AnswerIndex, clinic: Optional[Clinic] = None) -> Answer:
    """Answers every question in `text` from the facts, or says which it cannot."""
    parts: List[Reply] = []
    given: List[str] = []
    declined: List[Declined] = []
    language = book.language
    for question, decision in decisions_for(text, index):
        if decision.outcome == "answer":
            new = [fid for fid in decision.facts if fid not in given][: MAX_FACTS - len(given)]
            facts = [book.get(fid) for fid in new]
            facts_found: List[Fact] = [fact for fact in facts if fact is not None]
            if facts_found:
                parts.append(facts_reply(facts_found, book))
                given.extend(fact.id for fact in facts_found)
                if clinic is not None and any(fact.topic == "clinic" for fact in facts_found):
                    parts.append(_plain(clinic.contact_sentence(language)))
            continue
        if decision.outcome == "clinic" and clinic is not None and decision.key:
            value = getattr(clinic, decision.key, None)
            parts.append(_plain(clinic.detail_sentence(decision.key, language)))
            if not value:
                declined.append(Declined(question, subject_of(decision, book), decision))
            continue
        subject = subject_of(decision, book)
        declined.append(Declined(question, subject, decision))
        parts.append(_decline(decision, subject, book, first=not declined[:-1]))
    if declined:
        follow_up = say("follow_up", language)
        parts.append(Reply(text=follow_up, sms=follow_up, buttons=callback_buttons(language)))
    elif any(fact_id in book.untranslated for fact_id in given):
        # Given in English: a Spanish-speaking member of staff can go through it.
        offer = say("spanish_callback", language)
        parts.append(Reply(text=offer, sms=offer, buttons=callback_buttons(language)))
    last_topic = next((book.get(fid).topic for fid in reversed(given) if book.get(fid)), None)  # type: ignore[union-attr]
    return Answer(reply=join(parts), facts=tuple(given), declined=tuple(declined), last_topic=last_topic)


def _plain(text: str) -> Reply:
    return Reply(text=text, sms=text)


def _decline(decision: Decision, subject: Optional[str], book: FactBook, first: bool) -> Reply:
    """"I don't have information on <subject>", with a related fact labelled as such."""
    language = book.language
    if subject:
        text = say("no_info_on", language, subject=subject)
    elif first:
        text = say("no_info_first", language)
    else:
        text = say("no_info_other", language)
    related = _related_fact(decision, book)
    if related is None:
        return _plain(text)
    label = book.topics.get(related.topic, related.topic).lower()
    fact = facts_reply([related], book)
    return Reply(
        text=say("related_web", language, text=text, label=label, fact=fact.text),
        sms=say("related_sms", language, text=text, label=label, fact=fact.sms or fact.text),
        sources=fact.sources,
    )


def _related_fact(decision: Decision, book: FactBook) -> Optional[Fact]:
    if decision.outcome != "not_covered":
        return None
    entry = next((e for e in book.not_covered if e.id == decision.key), None)
    return book.get(entry.related) if entry and entry.related else None
