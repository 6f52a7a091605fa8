"""Answers evaluation: does the assistant answer the question asked, or decline?

Runs each labelled message of eval/answers/ through the trained NLU model (intent
and risk screen, in process) and, where the rules send it to the answer action,
through the same answer code the action runs (meso.content.respond). Reports, per
half: covered questions answered with a right fact, not-covered questions declined,
the neighbouring-fact rate and the fallback rate, with every miss listed.

Usage: .venv/bin/python scripts/eval_answers.py [--set en|es] [--split dev|heldout|...|heldout5|both] [--misses]
Writes results/answers.json (results/answers-es.json for `--set es`). The held-out half
is for reporting, never for tuning.

`--set es` scores the Spanish set (eval/es/): the conversation's language is read from
each message as the assistant reads it (meso/language.py) and the answer comes from the
facts book in that language. Its risk messages are scored by the safety report, not
here; a question labelled with both `facts` and `about` is right answered with one of
those facts or declined (eval/es/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meso.content.clinic import load_clinic  # noqa: E402
from meso.content.facts import load_facts  # noqa: E402
from meso.content.index import AnswerIndex  # noqa: E402
from meso.content.respond import respond  # noqa: E402
from meso.content.scoring import ANSWERED, ESCALATED, FALLBACK, Outcome, score  # noqa: E402
from meso.content.spanish import SPANISH_FILE, load_spanish  # noqa: E402
from meso.language import answer_language  # noqa: E402

EVAL_DIRS = {"en": ROOT / "eval" / "answers", "es": ROOT / "eval" / "es"}
OUTPUTS = {"en": ROOT / "results" / "answers.json", "es": ROOT / "results" / "answers-es.json"}
# Intents the rules send to the answer action (data/rules/answers.yml, conversation.yml);
# out_of_scope and nlu_fallback get the topic menu unless the index is sure.
ANSWERED_INTENTS = {"ask_question", "tell_more"}
UNSURE_INTENTS = {"out_of_scope", "nlu_fallback"}
RISK_INTENTS = {"emergency", "crisis", "risk_disclosure"}
# Contact requests hand the question to staff (a call back): a decline, not an answer.
CONTACT_INTENTS = {"book_appointment", "request_human", "request_callback"}
TARGETS = {"covered_answered_right": 0.95, "not_covered_declined": 0.95, "neighbouring_fact_rate": 0.02}


def load_split(name: str, language: str = "en") -> List[Dict[str, Any]]:
    messages = yaml.safe_load((EVAL_DIRS[language] / f"{name}.yml").read_text(encoding="utf-8"))["messages"]
    if language == "es":  # risk messages: the safety report's
        messages = [message for message in messages if message["kind"] != "risk"]
    return messages


def either_labels(messages: List[Dict[str, Any]], outcomes: List[Outcome]) -> List[Dict[str, Any]]:
    """A question labelled with `facts` and `about` counts as covered when one of its
    facts was given, else as not covered (a decline is right)."""
    relabelled = []
    for message, outcome in zip(messages, outcomes, strict=True):
        questions = []
        for question in message.get("questions") or []:
            if "facts" in question and "about" in question and not set(question["facts"]) & set(outcome.facts):
                question = {"about": question["about"]}
            questions.append(question)
        relabelled.append({**message, "questions": questions})
    return relabelled


async def outcomes_for(messages: List[Dict[str, Any]], language: str = "en") -> tuple:
    from rasa.core.agent import Agent

    agent = Agent.load(str(ROOT / "models" / "meso.tar.gz"))
    english = load_facts(ROOT / "facts" / "facts.yml")
    books = {"en": english}
    if language == "es":
        books["es"] = load_spanish(ROOT / "facts" / SPANISH_FILE, english)
    indexes = {name: AnswerIndex(book) for name, book in books.items()}
    clinic = load_clinic(ROOT / "facts" / "clinic.yml")
    outcomes, timings = [], []
    for message in messages:
        # The conversation's language as the actions read it (actions/answers.py).
        spoken = answer_language(None, message["text"]) if language == "es" else "en"
        book, index = books[spoken], indexes[spoken]
        parsed = await agent.parse_message(message["text"])
        intent = (parsed.get("intent") or {}).get("name")
        if (parsed.get("risk") or {}).get("reasons"):
            # The risk screen's finding: a case for staff and the disclosure's reply.
            outcomes.append(Outcome(ESCALATED, note=intent or ""))
        elif intent in CONTACT_INTENTS:
            outcomes.append(Outcome(ANSWERED, declined=len(message.get("questions") or []), note=intent))
        elif (
            intent in ANSWERED_INTENTS
            or intent in UNSURE_INTENTS
            or intent in RISK_INTENTS
            or (intent == "ask_capabilities" and index.named(message["text"]))
        ):
            # A risk intent the screen did not confirm is answered like a question
            # (actions/escalation.py); an unconfirmed emergency guess also raises a case.
            started = time.perf_counter()
            answer = respond(message["text"], book, index, clinic)
            timings.append((time.perf_counter() - started) * 1000)
            menu = intent in UNSURE_INTENTS and not answer.facts and not any(d.subject for d in answer.declined)
            if menu:
                outcomes.append(Outcome(FALLBACK, note=intent))
            else:
                outcomes.append(Outcome(ANSWERED, answer.facts, len(answer.declined)))
        else:
            outcomes.append(Outcome(FALLBACK, note=intent or "none"))
    return outcomes, timings


def report(name: str, messages: List[Dict[str, Any]], outcomes: List[Outcome], show_misses: bool) -> Dict[str, Any]:
    tally = score(messages, outcomes)
    rates = tally.rates()
    print(f"\n== {name}: {tally.messages} messages, {tally.covered} covered and {tally.not_covered} not-covered questions")
    print(f"  covered answered with a right fact  {tally.covered_right}/{tally.covered} = {rates['covered_answered_right']:.1%}")
    print(f"  not-covered declined                {tally.not_covered_declined}/{tally.not_covered} = {rates['not_covered_declined']:.1%}")
    print(f"  neighbouring-fact rate (messages)   {tally.neighbouring}/{tally.messages} = {rates['neighbouring_fact_rate']:.1%}")
    print(f"  fallback rate                       {tally.fallback}/{tally.messages} = {rates['fallback_rate']:.1%}")
    print(f"  sent to the risk path               {tally.escalated}/{tally.messages} = {rates['escalated_rate']:.1%}")
    if show_misses:
        for miss in tally.misses:
            print(f"  MISS {miss['id']}: {miss['text']!r}\n       expected {miss['expected']} route={miss['route']} gave={miss['gave']} declined={miss['declined']}")
    return {"rates": rates, "counts": {k: v for k, v in vars(tally).items() if k != "misses"}, "misses": tally.misses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="language", choices=["en", "es"], default="en", help="English or Spanish set")
    parser.add_argument(
        "--split", default="heldout", help="a set's file name without .yml (dev, heldout, fresh, dev2, heldout2, dev3, heldout3, dev4, heldout4, dev5, heldout5) or both"
    )
    parser.add_argument("--misses", action="store_true", help="list every miss")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    names = ["dev", "heldout"] if args.split == "both" else [args.split]
    missing = [name for name in names if not (EVAL_DIRS[args.language] / f"{name}.yml").exists()]
    if missing:
        parser.error(f"no such set: {', '.join(missing)}")
    results: Dict[str, Any] = {}
    for name in names:
        messages = load_split(name, args.language)
        outcomes, timings = asyncio.run(outcomes_for(messages, args.language))
        if args.language == "es":
            messages = either_labels(messages, outcomes)
        results[name] = report(f"{args.language} {name}", messages, outcomes, args.misses)
        if timings:
            ordered = sorted(timings)
            results[name]["answer_ms"] = {
                "mean": round(sum(ordered) / len(ordered), 2),
                "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            }
            print(f"  answer path per message: mean {results[name]['answer_ms']['mean']} ms, p95 {results[name]['answer_ms']['p95']} ms")
    output = OUTPUTS[args.language]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"targets": TARGETS, **results}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
