"""The pure limiter (meso.guard.rate_limit) and the reply to refused messages (meso.guard.refusals)."""

from __future__ import annotations

import yaml

from meso.guard.rate_limit import Limit, RateLimiter, SlidingWindow
from meso.guard.refusals import (
    FALLBACK_RESPONSES,
    FALLBACK_RESPONSES_ES,
    LIMITED_REPLIES,
    LIMITED_REPLY,
    SCREEN_EDGE,
    domain_responses,
    emergency_instruction,
    limited_reply,
    variation,
)
from meso.safety.screen import Screening
from meso.settings import PROJECT_ROOT


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_window_allows_count_then_refuses_until_the_oldest_expires() -> None:
    clock = Clock()
    limiter = RateLimiter({"sender": Limit(3, 60)}, clock)
    for second in (0, 10, 20):
        clock.now = 1000 + second
        assert limiter.hit(sender="a").allowed
    clock.now = 1030
    refused = limiter.hit(sender="a")
    assert not refused.allowed and refused.scope == "sender"
    assert abs(refused.retry_after - 30) < 1e-6, "the first message leaves the window at +60 s"
    assert limiter.hit(sender="b").allowed, "other senders are not affected"
    clock.now = 1060.5
    assert limiter.hit(sender="a").allowed, "sliding: one slot freed"
    assert not limiter.hit(sender="a").allowed


def test_refused_messages_are_not_counted() -> None:
    clock = Clock()
    limiter = RateLimiter({"sender": Limit(2, 10)}, clock)
    assert limiter.hit(sender="a").allowed and limiter.hit(sender="a").allowed
    for _ in range(50):
        clock.now += 0.1
        assert not limiter.hit(sender="a").allowed
    clock.now = 1010.01
    assert limiter.hit(sender="a").allowed, "hammering does not extend the wait"


def test_every_scope_is_checked_and_a_refusal_consumes_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter({"sender": Limit(5, 60), "ip": Limit(2, 60)}, clock)
    assert limiter.hit(sender="a", ip="1.1.1.1").allowed
    assert limiter.hit(sender="b", ip="1.1.1.1").allowed
    refused = limiter.hit(sender="c", ip="1.1.1.1")
    assert not refused.allowed and refused.scope == "ip"
    assert limiter.hit(sender="c", ip="2.2.2.2").allowed
    assert len(limiter.windows["sender"]) == 3, "the refused hit recorded nothing for sender c"
    assert limiter.hit(sender="a", ip=None).allowed, "a missing key is not checked"


def test_zero_turns_a_limit_off() -> None:
    limiter = RateLimiter({"sender": Limit(0, 60), "ip": Limit(1, 0)})
    assert limiter.windows == {}
    assert all(limiter.hit(sender="a", ip="x").allowed for _ in range(1000))


def test_memory_is_bounded_under_a_flood_of_keys() -> None:
    clock = Clock()
    window = SlidingWindow(Limit(1, 60), clock, max_keys=100)
    for number in range(10_000):
        window.record(f"sender-{number}")
    assert len(window) <= 100
    assert window.wait("sender-9999") > 0, "the most recent keys are kept"
    clock.now += 61
    window.record("late")
    assert window.wait("sender-9999") == 0


def test_limited_reply_is_polite_and_mentions_911() -> None:
    reply = limited_reply("how much does it cost?")
    assert reply == limited_reply(None) and not reply.urgent
    assert reply.text == LIMITED_REPLY and "911" in reply.text and "wait" in reply.text


def test_limited_emergency_gets_the_domain_instruction() -> None:
    emergency = limited_reply("my throat is swelling and I can't breathe")
    assert emergency.urgent and emergency.text == domain_responses()["utter_emergency"]
    crisis = limited_reply("I want to kill myself")
    assert crisis.urgent and crisis.text == domain_responses()["utter_crisis"] and "988" in crisis.text


def test_a_failing_screen_falls_back_to_the_polite_reply() -> None:
    def broken(_: str) -> Screening:
        raise RuntimeError("screen down")

    assert emergency_instruction("I can't breathe", broken) is None
    assert limited_reply("I can't breathe", broken).text == LIMITED_REPLY


def test_fallback_texts_match_the_domain() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, text in FALLBACK_RESPONSES.items():
        assert variation(domain["responses"][name], "en") == text
    for name, text in FALLBACK_RESPONSES_ES.items():
        assert variation(domain["responses"][name], "es") == text
        assert text.startswith("Llame al 911 ahora")


def test_a_spanish_kept_message_gets_the_spanish_instruction() -> None:
    emergency = limited_reply("no puedo respirar despues de las inyecciones")
    assert emergency.urgent and emergency.text == domain_responses("es")["utter_emergency"]
    assert emergency.text.startswith("Llame al 911 ahora")
    crisis = limited_reply("ya no quiero vivir")
    assert crisis.urgent and "988" in crisis.text and "marcar 2" in crisis.text and "AYUDA" in crisis.text
    assert limited_reply("cuanto cuesta la sesion de mesoterapia?").text == LIMITED_REPLIES["es"]


def test_a_long_message_is_screened_by_its_ends_only() -> None:
    seen: list = []

    def screen(text: str) -> Screening:
        seen.append(text)
        return Screening()

    middle = "x" * 60_000
    emergency_instruction("I can't breathe " + middle + " help", screen)
    assert len(seen[0]) <= 2 * SCREEN_EDGE + 1
    assert seen[0].startswith("I can't breathe") and seen[0].endswith(" help")
    ending = "my day was long. " * 200 + "Now I can't breathe."
    assert emergency_instruction(ending) == domain_responses()["utter_emergency"]
