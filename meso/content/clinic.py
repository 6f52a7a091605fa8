"""The clinic's contact details, and the sentences that tell patients about them.

Details come from `facts/clinic.yml`; CLINIC_* environment variables override it.
A detail that is null or empty is unknown, and the sentences then say so instead
of inventing one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Mapping, Union

import yaml

from meso.settings import PROJECT_ROOT, get_settings

DETAILS = ("name", "doctor", "phone", "address", "hours", "website")
# What each detail is called in a sentence.
DETAIL_LABELS = {"phone": "phone number", "address": "address", "hours": "opening hours", "website": "website"}
CALLBACK_HINT = "You can ask here for a call back from staff."
DETAIL_LABELS_ES = {"phone": "el teléfono", "address": "la dirección", "hours": "el horario", "website": "la página web"}
CALLBACK_HINT_ES = "Puede pedir aquí que el personal le devuelva la llamada."


class ClinicError(ValueError):
    """`clinic.yml` is unreadable or has an unknown or malformed entry."""


@dataclass(frozen=True)
class Clinic:
    """Contact details of the clinic; None means unknown."""

    name: str | None = None
    doctor: str | None = None
    phone: str | None = None
    address: str | None = None
    hours: str | None = None
    website: str | None = None

    @property
    def display_name(self) -> str:
        """The clinic's name, or "the clinic" when unknown."""
        return self.name or "the clinic"

    def contact_sentence(self, language: str = "en") -> str:
        """How to reach the clinic by phone, or that the number is not known."""
        if language == "es":
            if self.phone:
                return f"Puede llamar a {self.display_name} al {self.phone}."
            return (
                f"No tengo el teléfono de {self.display_name}, pero puede pedir aquí que el "
                "personal le devuelva la llamada."
            )
        if self.phone:
            return f"You can call {self.display_name} at {self.phone}."
        return (
            f"I don't have the phone number for {self.display_name}, "
            "but you can ask here for a call back from staff."
        )

    def detail_sentence(self, detail: str, language: str = "en") -> str:
        """One detail ("phone", "address", "hours" or "website") as a sentence.

        Raises:
            ValueError: `detail` is not one of those four.
        """
        if detail not in DETAIL_LABELS:
            raise ValueError(f"unknown clinic detail {detail!r} (allowed: {', '.join(DETAIL_LABELS)})")
        value = getattr(self, detail)
        who = self.display_name
        if language == "es":
            if not value:
                return f"No tengo {DETAIL_LABELS_ES[detail]} de la clínica. {CALLBACK_HINT_ES}"
            return {
                "phone": f"Puede llamar a {who} al {value}.",
                "address": f"La dirección de {who} es {value}.",
                "hours": f"El horario de {who}: {value}.",
                "website": f"La página web de {who} es {value}.",
            }[detail]
        if not value:
            return f"I don't have the clinic's {DETAIL_LABELS[detail]}. {CALLBACK_HINT}"
        return {
            "phone": f"You can call {who} at {value}.",
            "address": f"{who[0].upper()}{who[1:]} is at {value}.",
            "hours": f"{who[0].upper()}{who[1:]}'s opening hours: {value}.",
            "website": f"{who[0].upper()}{who[1:]}'s website is {value}.",
        }[detail]


def default_clinic_path() -> Path:
    """`clinic.yml` in Settings.facts_dir (a relative FACTS_DIR is under the project)."""
    facts_dir = get_settings().facts_dir
    if not facts_dir.is_absolute():
        facts_dir = PROJECT_ROOT / facts_dir
    return facts_dir / "clinic.yml"


def _clean(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ClinicError(f"{where} must be text (quote it in YAML)")
    return " ".join(value.split()) or None


def load_clinic(
    path: Union[str, Path, None] = None, env: Mapping[str, str] = os.environ
) -> Clinic:
    """Clinic details from the file, overridden by non-empty CLINIC_* variables.

    Args:
        path: The clinic file; defaults to `clinic.yml` beside the facts file. A
            missing file means every detail is unknown unless the environment gives it.
        env: Where CLINIC_NAME, CLINIC_DOCTOR, CLINIC_PHONE, CLINIC_ADDRESS,
            CLINIC_HOURS and CLINIC_WEBSITE are read.

    Raises:
        ClinicError: The file is not valid YAML, has an unknown key or a non-text value.
    """
    path = Path(path) if path is not None else default_clinic_path()
    raw: object = {}
    if path.is_file():
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError:
            raise ClinicError(f"{path}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise ClinicError(f"{path}: expected a mapping of clinic details")
    unknown = sorted(str(key) for key in raw if key not in DETAILS)
    if unknown:
        raise ClinicError(f"{path}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(DETAILS)})")
    values: Dict[str, str | None] = {
        detail: _clean(raw.get(detail), f"{path}: {detail}") for detail in DETAILS
    }
    for detail in DETAILS:
        override = _clean(env.get(f"CLINIC_{detail.upper()}"), f"CLINIC_{detail.upper()}")
        if override:
            values[detail] = override
    return Clinic(**values)

