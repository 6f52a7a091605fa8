"""Messages written the way patients tell what happened (issue 11), on the real screen.

The messages quoted in the issue, calm disclosures that must stay routine or benign, and
the urgency rules for swelling. The realistic evaluation sets are measured separately
(scripts/safety_report.py --cases eval/safety/dev.yml).
"""

from __future__ import annotations

from typing import List, Optional

import pytest

from meso.safety.screen import RiskScreen

ISSUE_MESSAGES = [
    ("There was pus in my stomach and a 10cm hole appeared... I got an injection to get rid of belly fat",
     ["complication"], "urgent"),
    ("my face blew up like a balloon overnight after the mesolift and my eyes are almost swollen shut",
     ["complication"], "urgent"),
    ("Overnight, my face swelled up like a chipmunk's ... bruising and swelling ALL OVER my face where it "
     "wasn't even treated", ["complication"], "urgent"),
    ("there are open sores where I had the injections last week", ["complication"], "urgent"),
    ("can i do this while expecting", ["pregnancy"], "routine"),
    ("I just found out I'm expecting, should I cancel my appointment?", ["pregnancy"], "routine"),
    ("I can't breathe after my injections", ["emergency"], "emergency"),
]

LAY_NARRATIVES = [
    "it's been oozing since friday after my session",
    "red streaks going up my arm 2 days after the injections",
    "I've had chills and a temperature of 101 since the shots",
    "there is a hard hot lump where they injected",
    "had it done on monday and now there's a hole in my skin",
    "the places where they put the needles are draining",
]

CALM = [
    ("I had a stroke ten years ago", ["stroke"], "routine"),
    ("my mom has a family history of blood clots", [], None),
    ("I had a small bruise after my session but it's gone now", [], None),
    ("normal soreness after my shots, nothing else", [], None),
    ("I'm dying to try it", [], None),
    ("what should I expect after the shots?", [], None),
    ("will I get lumps after the mesolift?", [], None),
    ("a friend of mine fainted after her shots once", [], None),
    ("I had an infection after my session in 2022 but antibiotics cleared it", [], None),
]

SWELLING = [
    ("my lips are swelling after the filler and I can't swallow", "emergency"),
    ("my face swelled up after the mesolift and now it's hard to breathe", "emergency"),
    ("my eyes are swollen shut this morning", "urgent"),
    ("my eyes are swollen shut after the mesolift but I can breathe fine", "urgent"),
    ("my lips are massively swollen, no trouble breathing", "urgent"),
]


@pytest.fixture(scope="module")
def screen() -> RiskScreen:
    return RiskScreen()


def check(screen: RiskScreen, text: str, reasons: List[str], urgency: Optional[str]) -> None:
    result = screen.screen(text)
    assert (sorted(result.reasons), result.urgency) == (sorted(reasons), urgency), result.as_dict()


@pytest.mark.parametrize("text,reasons,urgency", ISSUE_MESSAGES)
def test_issue_messages(screen: RiskScreen, text: str, reasons: List[str], urgency: str) -> None:
    check(screen, text, reasons, urgency)


@pytest.mark.parametrize("text", LAY_NARRATIVES)
def test_lay_narratives_are_complications(screen: RiskScreen, text: str) -> None:
    check(screen, text, ["complication"], "urgent")


@pytest.mark.parametrize("text,reasons,urgency", CALM)
def test_calm_disclosures_stay_calm(screen: RiskScreen, text: str, reasons: List[str], urgency: Optional[str]) -> None:
    check(screen, text, reasons, urgency)


@pytest.mark.parametrize("text,urgency", SWELLING)
def test_swelling_urgency_fits_what_was_said(screen: RiskScreen, text: str, urgency: str) -> None:
    assert screen.screen(text).urgency == urgency


@pytest.mark.parametrize(
    "text",
    ["i took a whole bottle of pills", "i've been cutting myself", "nobody would miss me if i was gone",
     "i don't see the point in living", "i want to kill my self"],
)
def test_crisis_statements_are_found_by_the_screen(screen: RiskScreen, text: str) -> None:
    result = screen.screen(text)
    assert result.is_emergency and result.is_crisis, result.as_dict()
