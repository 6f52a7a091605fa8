"""Replies made of facts: the facts themselves with their sources, "tell me more",
and the topic menu. Which facts answer a question is decided in meso/content/."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from meso.facts import Fact, FactBook, cite
from meso.replies import Button, Reply

MENU_TOPICS = ("procedure", "needles", "recovery", "cost", "contraindications", "areas")

CALLBACK_BUTTONS = (
    Button("Yes, call me back", "/request_callback"),
    Button("No, thanks", "/deny"),
)


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


def remaining_facts(book: FactBook, topic: Optional[str], given: Iterable[str] = ()) -> List[Fact]:
    """The next facts of `topic` not given yet in this conversation (`given` fact ids)."""
    if not topic or topic not in book.topics:
        return []
    already = set(given)
    return [fact for fact in book.for_topic(topic) if fact.id not in already][:2]


def more_about(book: FactBook, topic: Optional[str], given: Iterable[str] = ()) -> Reply:
    """"Tell me more": the next facts of the last topic, or the topic menu."""
    rest = remaining_facts(book, topic, given)
    if rest:
        return facts_reply(rest)
    if topic and topic in book.topics:
        label = book.topics[topic]
        return topic_menu(book, f"That's everything I have on {label.lower()}. Other topics I can help with:")
    return topic_menu(book, "Happy to tell you more. Which topic?")


def not_covered() -> Reply:
    """The honest answer to a question the facts do not answer."""
    text = (
        "I don't have that information, and I won't guess. "
        "A member of staff can follow up with you. Would you like a call back?"
    )
    return Reply(text=text, sms=text, buttons=CALLBACK_BUTTONS)


def menu_question(book: FactBook, topic: str) -> Optional[str]:
    """The question a topic's menu button asks: its first fact's first question."""
    facts = book.for_topic(topic)
    return facts[0].questions[0] if facts and facts[0].questions else None


def topic_menu(book: FactBook, lead: str, topics: Tuple[str, ...] = MENU_TOPICS) -> Reply:
    """A lead sentence and a button per main topic; each button asks that topic's
    question in plain words, so it is answered like a typed question."""
    buttons = []
    for topic in topics:
        question = menu_question(book, topic) if topic in book.topics else None
        if question:
            buttons.append(Button(book.topics[topic], question))
    return Reply(text=lead, sms=lead, buttons=tuple(buttons))
