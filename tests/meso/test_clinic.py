"""Clinic details: the shipped file, environment overrides, and never inventing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meso.content.clinic import DETAIL_LABELS, Clinic, ClinicError, load_clinic
from meso.settings import PROJECT_ROOT

SHIPPED = PROJECT_ROOT / "facts" / "clinic.yml"
DIGIT = re.compile(r"\d")


def test_shipped_file_knows_only_what_the_article_says() -> None:
    clinic = load_clinic(SHIPPED, env={})
    assert clinic == Clinic(name="San Fernando Medical Center", doctor="Dr. Robert Partovy")


def test_environment_overrides_the_file() -> None:
    env = {
        "CLINIC_NAME": "Meso Clinic",
        "CLINIC_DOCTOR": "Dr. Test",
        "CLINIC_PHONE": "(818) 555-0100",
        "CLINIC_ADDRESS": "1 Main St",
        "CLINIC_HOURS": "Mon-Fri 9am-5pm",
        "CLINIC_WEBSITE": "https://clinic.example",
    }
    clinic = load_clinic(SHIPPED, env=env)
    assert clinic == Clinic(
        name="Meso Clinic",
        doctor="Dr. Test",
        phone="(818) 555-0100",
        address="1 Main St",
        hours="Mon-Fri 9am-5pm",
        website="https://clinic.example",
    )


def test_empty_variables_do_not_override() -> None:
    clinic = load_clinic(SHIPPED, env={"CLINIC_NAME": "  ", "CLINIC_PHONE": ""})
    assert clinic.name == "San Fernando Medical Center"
    assert clinic.phone is None


def test_known_phone_is_given() -> None:
    clinic = load_clinic(SHIPPED, env={"CLINIC_PHONE": "(818) 555-0100"})
    assert clinic.contact_sentence() == "You can call San Fernando Medical Center at (818) 555-0100."
    assert clinic.detail_sentence("phone") == "You can call San Fernando Medical Center at (818) 555-0100."


def test_unknown_phone_is_never_invented() -> None:
    sentence = load_clinic(SHIPPED, env={}).contact_sentence()
    assert "don't have the phone number" in sentence
    assert "call back" in sentence
    assert not DIGIT.search(sentence)


@pytest.mark.parametrize("detail", sorted(DETAIL_LABELS))
def test_unknown_details_are_never_invented(detail: str) -> None:
    sentence = Clinic().detail_sentence(detail)
    assert sentence.startswith(f"I don't have the clinic's {DETAIL_LABELS[detail]}.")
    assert not DIGIT.search(sentence)


def test_known_details_are_given() -> None:
    clinic = Clinic(name="San Fernando Medical Center", address="1 Main St", hours="Mon-Fri 9am-5pm")
    assert clinic.detail_sentence("address") == "San Fernando Medical Center is at 1 Main St."
    assert "Mon-Fri 9am-5pm" in clinic.detail_sentence("hours")
    assert Clinic(address="1 Main St").detail_sentence("address") == "The clinic is at 1 Main St."


def test_unknown_detail_name_is_refused() -> None:
    with pytest.raises(ValueError, match="fax"):
        Clinic().detail_sentence("fax")


def test_missing_file_means_unknown_details(tmp_path: Path) -> None:
    clinic = load_clinic(tmp_path / "absent.yml", env={"CLINIC_PHONE": "555-0100"})
    assert clinic == Clinic(phone="555-0100")
    assert "the clinic" in clinic.contact_sentence()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("fax: '555'\n", "unknown key"), ("phone: 5550100\n", "must be text"), ("- a\n", "mapping")],
)
def test_bad_files_are_refused_naming_the_file(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "clinic.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ClinicError, match=expected) as caught:
        load_clinic(path, env={})
    assert str(path) in str(caught.value)


def test_default_path_follows_facts_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "clinic.yml").write_text("name: Elsewhere\n", encoding="utf-8")
    monkeypatch.setenv("FACTS_DIR", str(tmp_path))
    assert load_clinic(env={}).name == "Elsewhere"
