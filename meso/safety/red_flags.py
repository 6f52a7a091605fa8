"""The red flags file (facts/red_flags.yml, red_flags_es.yml): its loader and validator.

Every problem in the file is reported at once (as the facts loader does), each naming the
file and the entry at fault; the screen is never built from an invalid file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

import yaml

from meso.contract import SCREEN_REASON_URGENCY, URGENCY_RANK
from meso.strict_yaml import UniqueKeyLoader

RED_FLAGS_FILE = "red_flags.yml"
RED_FLAGS_FILES = {"en": RED_FLAGS_FILE, "es": "red_flags_es.yml"}
LANGUAGES = ("en", "es")

_TOP_KEYS = {"version", "treatment_links", "reasons"}
_LINK_KEYS = {"terms", "regex"}
_REASON_KEYS = {"urgency", "groups", "exclude", "description"}
_GROUP_KEYS = {"name", "terms", "regex", "patterns", "crisis", "needs_treatment_link"}

T = TypeVar("T")
_NO_STRINGS: Tuple[str, ...] = ()
_NO_MAP: Dict[str, Any] = {}  # read only


class RedFlagsError(ValueError):
    """The red flags file is unreadable or invalid; `problems` lists every finding."""

    def __init__(self, problems: str | List[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class TermGroup:
    """A validated group of terms from red_flags.yml."""

    reason: str
    name: str
    terms: Tuple[str, ...] = ()
    regex: Tuple[str, ...] = ()
    patterns: Tuple[Any, ...] = ()
    crisis: bool = False
    needs_treatment_link: bool = False


@dataclass(frozen=True)
class RedFlags:
    """The validated contents of red_flags.yml."""

    groups: Tuple[TermGroup, ...]
    excludes: Tuple[str, ...] = ()
    link_terms: Tuple[str, ...] = ()
    link_regex: Tuple[str, ...] = ()
    urgency: Dict[str, str] = field(default_factory=dict)


def _fail(path: Path, where: str, problem: str) -> RedFlagsError:
    return RedFlagsError(f"{path}: {where}: {problem}")


def _check_keys(path: Path, where: str, value: Any, allowed: set) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, where, f"expected a mapping, got {type(value).__name__}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(path, where, f"unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    return value


def _strings(path: Path, where: str, value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _fail(path, where, "expected a list")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _fail(path, f"{where}[{i}]", "expected a non-empty string")
        out.append(" ".join(item.split()))
    return tuple(out)


def _regexes(path: Path, where: str, value: Any) -> Tuple[str, ...]:
    out = _strings(path, where, value)
    for i, pattern in enumerate(out):
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise _fail(path, f"{where}[{i}]", f"invalid regular expression: {exc}") from exc
    return out


class _Problems:
    """Collects the problems of one file; `attempt` runs a check and keeps going."""

    def __init__(self) -> None:
        self.found: List[str] = []

    def attempt(self, check: Callable[[], T], default: T) -> T:
        try:
            return check()
        except RedFlagsError as exc:
            self.found.extend(exc.problems)
            return default


def load_red_flags(path: Path) -> RedFlags:
    """Reads and validates red_flags.yml, reporting every problem at once.

    Args:
        path: the YAML file.

    Returns:
        The validated red flags.

    Raises:
        RedFlagsError: listing each problem with the file and the entry at fault.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise RedFlagsError(f"{path}: cannot read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise RedFlagsError(f"{path}: invalid YAML: {exc}") from exc
    problems = _Problems()
    if not isinstance(data, dict):
        raise _fail(path, "top level", f"expected a mapping, got {type(data).__name__}")
    problems.attempt(lambda: _check_keys(path, "top level", data, _TOP_KEYS), data)
    links = problems.attempt(
        lambda: _check_keys(path, "treatment_links", data.get("treatment_links") or {}, _LINK_KEYS), _NO_MAP
    )
    link_terms = problems.attempt(lambda: _strings(path, "treatment_links.terms", links.get("terms")), _NO_STRINGS)
    link_regex = problems.attempt(lambda: _regexes(path, "treatment_links.regex", links.get("regex")), _NO_STRINGS)

    reasons = data.get("reasons")
    if not isinstance(reasons, dict) or not reasons:
        raise RedFlagsError(problems.found + [str(_fail(path, "reasons", "expected a mapping of reason code to entry"))])
    groups: List[TermGroup] = []
    excludes: List[str] = []
    urgency: Dict[str, str] = {}
    for reason, entry in reasons.items():
        _reason(path, reason, entry, problems, groups, excludes, urgency)
    missing = sorted(set(SCREEN_REASON_URGENCY) - set(reasons))
    if missing:
        problems.found.append(str(_fail(path, "reasons", f"missing reason(s) {missing}")))
    if problems.found:
        raise RedFlagsError(problems.found)
    return RedFlags(tuple(groups), tuple(excludes), link_terms, link_regex, urgency)


def _reason(
    path: Path,
    reason: str,
    entry: Any,
    problems: _Problems,
    groups: List[TermGroup],
    excludes: List[str],
    urgency: Dict[str, str],
) -> None:
    """Validates one reason entry, adding its groups, excludes and urgency."""
    where = f"reasons.{reason}"
    if reason not in SCREEN_REASON_URGENCY:
        problems.found.append(str(_fail(path, where, f"unknown reason {reason!r}; known: {sorted(SCREEN_REASON_URGENCY)}")))
        return
    if not isinstance(entry, dict):
        problems.attempt(lambda: _check_keys(path, where, entry, _REASON_KEYS), _NO_MAP)
        return
    problems.attempt(lambda: _check_keys(path, where, entry, _REASON_KEYS), entry)
    level = entry.get("urgency")
    if level not in URGENCY_RANK:
        problems.found.append(
            str(_fail(path, f"{where}.urgency", f"bad urgency {level!r}; expected one of {sorted(URGENCY_RANK)}"))
        )
    elif level != SCREEN_REASON_URGENCY[reason]:
        problems.found.append(
            str(
                _fail(
                    path,
                    f"{where}.urgency",
                    f"bad urgency {level!r}: docs/CONTRACTS.md fixes {reason} at {SCREEN_REASON_URGENCY[reason]!r}",
                )
            )
        )
    else:
        urgency[reason] = level
    excludes.extend(problems.attempt(lambda: _strings(path, f"{where}.exclude", entry.get("exclude")), _NO_STRINGS))
    raw_groups = entry.get("groups")
    if not isinstance(raw_groups, list) or not raw_groups:
        problems.found.append(str(_fail(path, f"{where}.groups", "expected a non-empty list of groups")))
        return
    for gi, raw in enumerate(raw_groups):
        group = _group(path, reason, gi, raw, problems)
        if group is not None:
            groups.append(group)


def _group(path: Path, reason: str, gi: int, raw: Any, problems: _Problems) -> Optional[TermGroup]:
    """One validated term group, or None (its problems recorded)."""
    gwhere = f"reasons.{reason}.groups[{gi}]"
    if not isinstance(raw, dict):
        problems.attempt(lambda: _check_keys(path, gwhere, raw, _GROUP_KEYS), _NO_MAP)
        return None
    before = len(problems.found)
    problems.attempt(lambda: _check_keys(path, gwhere, raw, _GROUP_KEYS), raw)
    name = str(raw.get("name") or f"{reason} {gi}")
    gwhere = f"reasons.{reason}.groups[{gi}] ({name})"
    patterns = raw.get("patterns") or []
    if not isinstance(patterns, list) or not all(
        isinstance(p, list) and p and all(isinstance(t, dict) for t in p) for p in patterns
    ):
        problems.found.append(
            str(_fail(path, f"{gwhere}.patterns", "expected a list of spaCy token patterns (lists of dicts)"))
        )
        patterns = []
    for flag in ("crisis", "needs_treatment_link"):
        if not isinstance(raw.get(flag, False), bool):
            problems.found.append(str(_fail(path, f"{gwhere}.{flag}", "expected true or false")))
    group = TermGroup(
        reason=reason,
        name=name,
        terms=problems.attempt(lambda: _strings(path, f"{gwhere}.terms", raw.get("terms")), _NO_STRINGS),
        regex=problems.attempt(lambda: _regexes(path, f"{gwhere}.regex", raw.get("regex")), _NO_STRINGS),
        patterns=tuple(patterns),
        crisis=bool(raw.get("crisis", False)),
        needs_treatment_link=bool(raw.get("needs_treatment_link", False)),
    )
    if len(problems.found) > before:
        return None
    if not (group.terms or group.regex or group.patterns):
        problems.found.append(str(_fail(path, gwhere, "empty term list: give at least one of terms, regex, patterns")))
        return None
    return group


def fold(text: str) -> str:
    """Lower case without accents ("Embarazada de 12 semanas" == "embarazada de 12 semanas").

    Each accented letter becomes one plain letter, so the length is kept.
    """
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", plain).lower()


def folded(flags: RedFlags) -> RedFlags:
    """The red flags with accents stripped from every term and regex (Spanish)."""
    groups = tuple(
        TermGroup(
            group.reason, group.name, tuple(fold(t) for t in group.terms), tuple(fold(r) for r in group.regex),
            group.patterns, group.crisis, group.needs_treatment_link,
        )
        for group in flags.groups
    )
    return RedFlags(
        groups, tuple(fold(t) for t in flags.excludes), tuple(fold(t) for t in flags.link_terms),
        tuple(fold(r) for r in flags.link_regex), flags.urgency,
    )


def default_red_flags_path(language: str = "en") -> Path:
    name = RED_FLAGS_FILES[language]
    try:
        from meso.settings import get_settings

        return get_settings().facts_dir / name
    except Exception:  # pragma: no cover - settings are optional here
        return Path(__file__).resolve().parents[2] / "facts" / name


