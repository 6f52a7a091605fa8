"""meso.contract, the one source of the shared names, against the files that state them:
docs/CONTRACTS.md, domain.yml and facts/red_flags.yml."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, List

import yaml

from actions.escalation import CONTACT_REASONS
from meso import contract
from meso.settings import PROJECT_ROOT

CONTRACTS = (PROJECT_ROOT / "docs" / "CONTRACTS.md").read_text(encoding="utf-8")
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
RED_FLAGS = yaml.safe_load((PROJECT_ROOT / "facts" / "red_flags.yml").read_text(encoding="utf-8"))


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", CONTRACTS, re.M | re.S)
    assert match, title
    return match.group(1)


def _names(text: str) -> List[str]:
    return [name.strip(" .`") for name in text.replace("\n", " ").split(",") if name.strip(" .`")]


def test_reason_table_is_the_contracts_table() -> None:
    table: Dict[str, str] = {}
    for line in _section("Reason codes and urgencies (contract with the staff console and its API)").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("reason", "---"):
            continue
        for reason in _names(cells[0]):
            table[reason] = cells[1]
    assert table == contract.REASON_URGENCY
    assert contract.REASONS == frozenset(table)
    assert set(table.values()) <= set(contract.URGENCIES)


def test_urgency_order_and_statuses() -> None:
    order = re.search(r"Urgency order: ([a-z >]+)\.", CONTRACTS)
    assert order and tuple(u.strip() for u in order.group(1).split(">")) == contract.URGENCIES
    assert sorted(contract.URGENCIES, key=contract.URGENCY_RANK.__getitem__, reverse=True) == list(
        contract.URGENCIES
    )
    assert set(contract.URGENCY_RANK) == set(contract.URGENCIES)
    statuses = re.search(r"Escalation status: ([a-z, ]+)\.", CONTRACTS)
    assert statuses and tuple(_names(statuses.group(1))) == contract.STATUSES
    assert set(contract.ACTIVE_STATUSES) < set(contract.STATUSES)
    assert contract.ALERTED_URGENCIES == {u for u in contract.URGENCIES if u != "routine"}


def test_topics_and_body_areas() -> None:
    topics = _section("Facts topics")
    listed = re.search(r"reports\): (.*?)\.\n", topics, re.S)
    assert listed and tuple(_names(listed.group(1))) == contract.TOPICS
    areas = re.search(r"canonical values: (.*?)\.", topics)
    assert areas and frozenset(_names(areas.group(1))) == contract.BODY_AREAS


def test_red_flags_file_states_the_screen_reasons() -> None:
    urgency = {reason: spec["urgency"] for reason, spec in RED_FLAGS["reasons"].items()}
    assert urgency == contract.SCREEN_REASON_URGENCY
    assert all(contract.REASON_URGENCY[r] == u for r, u in contract.SCREEN_REASON_URGENCY.items())


def test_domain_names_the_risk_and_contact_reasons() -> None:
    intents = set(DOMAIN["intents"])
    # The risk intents: the screen's emergency reason is an intent of its own.
    assert {"emergency", "crisis", "risk_disclosure"} <= intents
    assert "emergency" in contract.REASONS and contract.REASON_URGENCY["emergency"] == contract.URGENCIES[0]
    assert {"utter_emergency", "utter_crisis"} <= set(DOMAIN["responses"])
    # Contact requests: each intent maps to a routine reason code of the contract.
    assert set(CONTACT_REASONS) <= intents
    assert all(contract.REASON_URGENCY[reason] == "routine" for reason in CONTACT_REASONS.values())
    assert "contact_reason" in DOMAIN["slots"]


def test_limits_are_defined_once() -> None:
    """No module but meso/contract.py assigns the shared names."""
    names = ("URGENCY_RANK", "REASON_URGENCY", "MAX_METADATA_BYTES", "MAX_ACTOR", "PG_CONNECT_TIMEOUT_S", "SMS_MAX_CHARS")
    pattern = re.compile(rf"^({'|'.join(names)})\s*(:[^=]*)?=", re.M)
    offenders = []
    for package in ("meso", "actions", "channels", "components", "staff", "serving"):
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            if path == Path(contract.__file__).resolve():
                continue
            if pattern.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []
    assert contract.SMS_MAX_CHARS == 320
