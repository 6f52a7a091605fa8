"""Composes grounded answers from the facts book: no fact, no answer."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from meso.clinic import Clinic
from meso.facts import Fact, FactBook, cite
from meso.replies import Button, Reply, join

FACTS_PER_ANSWER = 2
# A second question in one message counts when the classifier is this sure of it:
# in the whole message's ranking, or as the intent of one of its clauses.
SECONDARY_TOPIC_CONFIDENCE = 0.2
CLAUSE_TOPIC_CONFIDENCE = 0.5
MAX_TOPICS_PER_ANSWER = 2
MENU_TOPICS = ("procedure", "needles", "recovery", "cost", "contraindications", "areas")

CALLBACK_BUTTONS = (
    Button("Yes, call me back", "/request_callback"),
    Button("No, thanks", "/deny"),
)


def topic_of(intent: Optional[str], book: FactBook) -> Optional[str]:
    """The facts topic an `ask_<topic>` intent asks about, if the book has it."""
    if intent and intent.startswith("ask_") and intent[4:] in book.topics:
        return intent[4:]
    return None


def asked_topics(
    intent: Optional[str], ranking: Iterable[dict], book: FactBook, clauses: Iterable[dict] = ()
) -> List[str]:
    """The topics a message asks about, in the order asked (at most two).

    `clauses` are the intents of each question in the message (NLU `clauses`), then
    comes the whole message's intent, then a topic its `ranking` is fairly sure of.
    """
    candidates = [(c.get("intent"), c.get("confidence", 0.0) >= CLAUSE_TOPIC_CONFIDENCE) for c in clauses]
    candidates.append((intent, True))
    candidates += [(c.get("name"), c.get("confidence", 0.0) >= SECONDARY_TOPIC_CONFIDENCE) for c in ranking]
    topics: List[str] = []
    for name, confident in candidates:
        topic = topic_of(name, book)
        if confident and topic and topic not in topics:
            topics.append(topic)
    return topics[:MAX_TOPICS_PER_ANSWER]


def facts_reply(facts: Sequence[Fact]) -> Reply:
    """A reply made of facts, citing each source once."""
    sources: List[str] = []
    for fact in facts:
        if cite(fact) not in sources:
            sources.append(cite(fact))
    return Reply(
        text=" ".join(fact.web for fact in facts),
        sms=" ".join(fact.sms for fact in facts),
        sources=tuple(sources),
    )


def answer(
    book: FactBook, topics: Sequence[str], area: Optional[str] = None, clinic: Optional[Clinic] = None
) -> Reply:
    """The answer to one or two topics, narrowed to a body area when named."""
    parts = []
    for topic in topics:
        facts = book.for_topic(topic, area)[:FACTS_PER_ANSWER]
        if facts:
            parts.append(facts_reply(facts))
        if topic == "clinic" and clinic is not None:
            contact = clinic.contact_sentence()
            parts.append(Reply(text=contact, sms=contact))
    return join(parts) if parts else not_covered()


def more_about(book: FactBook, topic: Optional[str]) -> Reply:
    """The facts of `topic` beyond those the first answer gave."""
    if topic and topic in book.topics:
        rest = book.for_topic(topic)[FACTS_PER_ANSWER:]
        if rest:
            return facts_reply(rest)
        label = book.topics[topic]
        return topic_menu(book, f"That's everything I have on {label.lower()}. Other topics I can help with:")
    return topic_menu(book, "Happy to tell you more. Which topic?")


def not_covered() -> Reply:
    """The honest answer to an in-domain question the facts do not answer."""
    text = (
        "I don't have that information, and I won't guess. "
        "A member of staff can follow up with you. Would you like a call back?"
    )
    return Reply(text=text, sms=text, buttons=CALLBACK_BUTTONS)


def topic_menu(book: FactBook, lead: str, topics: Tuple[str, ...] = MENU_TOPICS) -> Reply:
    """A lead sentence and buttons for the main topics."""
    buttons = tuple(
        Button(book.topics[t], f"/ask_{t}") for t in topics if t in book.topics
    )
    return Reply(text=lead, sms=lead, buttons=buttons)
