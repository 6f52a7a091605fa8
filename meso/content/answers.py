"""Replies made of facts: the facts themselves with their sources, "tell me more",
and the topic menu. Which facts answer a question is decided in meso/content/."""

from __future__ import annotations

from typing import Iterable, List, Optional, Sequence, Tuple

from meso.content.facts import Fact, FactBook, cite
from meso.content.phrases import say
from meso.replies import Button, Reply

MENU_TOPICS = ("procedure", "needles", "recovery", "cost", "contraindications", "areas")

CALLBACK_BUTTONS = (
    Button("Yes, call me back", "/request_callback"),
    Button("No, thanks", "/deny"),
)


def callback_buttons(language: Optional[str] = None) -> Tuple[Button, ...]:
    """The call-back offer's buttons in `language`."""
    if language in (None, "en"):
        return CALLBACK_BUTTONS
    return (Button(say("yes_call_me", language), "/request_callback"), Button(say("no_thanks", language), "/deny"))


def facts_reply(facts: Sequence[Fact], book: Optional[FactBook] = None) -> Reply:
    """A reply made of facts, citing each source once.

    In a book of another language, facts not translated yet keep their English texts,
    after one note saying so (never a made-up translation).
    """
    language = book.language if book is not None else "en"
    untranslated = book.untranslated if book is not None else frozenset()
    sources: List[str] = []
    for fact in facts:
        if cite(fact, language) not in sources:
            sources.append(cite(fact, language))
    translated = [fact for fact in facts if fact.id not in untranslated]
    english = [fact for fact in facts if fact.id in untranslated]
    web = [fact.web for fact in translated]
    sms = [fact.sms for fact in translated]
    if english:
        web.append(say("english_only", language, fact=" ".join(fact.web for fact in english)))
        sms.append(say("english_only", language, fact=" ".join(fact.sms for fact in english)))
    return Reply(text=" ".join(web), sms=" ".join(sms), sources=tuple(sources))


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
        return facts_reply(rest, book)
    if topic and topic in book.topics:
        label = book.topics[topic]
        return topic_menu(book, say("topic_done", book.language, label=label.lower()))
    return topic_menu(book, say("tell_more_which", book.language))


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
