"""Reads pip-audit's JSON report and decides: exit 0 when every pin was audited and every
advisory found is one of the accepted ones, else 1.

Accepted: advisories in packages Rasa 3.6.21 (or the TensorFlow it pins) holds below
the fixed release, so no pin inside Rasa's constraints can take the fix. They are
printed on every run; an advisory in any other package fails, as does a pin that could
not be audited. Standard library only (runs in the audit venv).

Usage: python scripts/audit_verdict.py REPORT.json
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Dict, List, Tuple

# package -> (the constraint that holds it, the lowest release it allows no longer);
# read off the installed packages' metadata (rasa 3.6.21, tensorflow 2.12.0).
HELD_BY_RASA: Dict[str, Tuple[str, str]] = {
    "absl-py": ("rasa: absl-py<1.5", "1.5"),
    "aiohttp": ("rasa: aiohttp<3.10", "3.10"),
    "dnspython": ("rasa: dnspython==2.3.0", "2.3.0.1"),
    "jsonschema": ("rasa: jsonschema<4.18", "4.18"),
    "keras": ("tensorflow 2.12: keras<2.13", "2.13"),
    "matplotlib": ("rasa: matplotlib<3.6", "3.6"),
    "networkx": ("rasa: networkx<2.7", "2.7"),
    "numpy": ("tensorflow 2.12: numpy<1.24", "1.24"),
    "protobuf": ("rasa: protobuf<4.23.4", "4.23.4"),
    "pymongo": ("rasa: pymongo<4.4", "4.4"),
    "redis": ("rasa: redis<5.0", "5.0"),
    "sanic": ("rasa: sanic<21.13", "21.13"),
    "scikit-learn": ("rasa: scikit-learn<1.2", "1.2"),
    "scipy": ("rasa: scipy<1.11", "1.11"),
    "sentry-sdk": ("rasa: sentry-sdk<1.15", "1.15"),
    "setuptools": ("rasa: setuptools<70.4", "70.4"),
    "sqlalchemy": ("rasa: SQLAlchemy<1.5", "1.5"),
    "tensorflow": ("rasa: tensorflow==2.12.0", "2.12.0.1"),
    "twilio": ("rasa: twilio<8.3", "8.3"),
    "websockets": ("rasa: websockets<11", "11"),
    "wheel": ("rasa: packaging<21, and wheel 0.46 needs packaging>=24", "0.46"),
}


def _release(version: str) -> Tuple[int, ...]:
    """The numeric release of a version string ("3.10.11" -> (3, 10, 11)); enough to compare fixes."""
    numbers = re.match(r"\d+(\.\d+)*", version.strip())
    return tuple(int(part) for part in numbers.group(0).split(".")) if numbers else ()


def _reachable(fixes: List[str], ceiling: str) -> bool:
    """True when a fixed release is below the ceiling, i.e. allowed by the constraint."""
    return any(_release(fix) and _release(fix) < _release(ceiling) for fix in fixes)


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def verdict(report: Dict[str, Any]) -> Tuple[bool, List[str]]:
    """(passed, lines to print) for a pip-audit JSON report."""
    lines: List[str] = []
    passed = True
    dependencies = report.get("dependencies") or []
    if not dependencies:
        return False, ["pip-audit: the report lists no dependencies"]
    for dependency in dependencies:
        name, version = _name(dependency.get("name", "?")), dependency.get("version", "?")
        if dependency.get("skip_reason"):
            passed = False
            lines.append(f"NOT AUDITED {name} {version}: {dependency['skip_reason']}")
            continue
        for vuln in dependency.get("vulns") or []:
            ids = ", ".join([vuln.get("id", "?"), *(vuln.get("aliases") or [])])
            fixed = ", ".join(vuln.get("fix_versions") or []) or "none"
            held = HELD_BY_RASA.get(name)
            if held and not _reachable(vuln.get("fix_versions") or [], held[1]):
                lines.append(f"accepted    {name} {version} {ids} (fixed in {fixed}; held by {held[0]})")
            else:
                passed = False
                lines.append(f"ADVISORY    {name} {version} {ids} (fixed in {fixed})")
    audited = sum(1 for dependency in dependencies if not dependency.get("skip_reason"))
    lines.append(f"pip-audit: {audited} of {len(dependencies)} pins audited; " + ("passed" if passed else "FAILED"))
    return passed, lines


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as report:
        passed, lines = verdict(json.load(report))
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
