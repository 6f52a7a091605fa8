"""The dependency audit's verdict on pip-audit reports (scripts/audit_verdict.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_verdict.py"
_spec = importlib.util.spec_from_file_location("audit_verdict", SCRIPT)
assert _spec and _spec.loader
audit_verdict = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_verdict)


def report(*dependencies: Dict[str, Any]) -> Dict[str, Any]:
    return {"dependencies": list(dependencies), "fixes": []}


def vuln(identifier: str, fixes: List[str]) -> Dict[str, Any]:
    return {"id": identifier, "fix_versions": fixes, "aliases": [f"CVE-{identifier}"], "description": "x"}


def test_clean_report_passes() -> None:
    passed, lines = audit_verdict.verdict(report({"name": "requests", "version": "2.34.2", "vulns": []}))
    assert passed and lines[-1] == "pip-audit: 1 of 1 pins audited; passed"


def test_an_advisory_outside_rasas_constraints_fails() -> None:
    passed, lines = audit_verdict.verdict(
        report({"name": "Jinja2", "version": "3.1.6", "vulns": [vuln("GHSA-1", ["3.1.7"])]})
    )
    assert not passed and lines[0].startswith("ADVISORY    jinja2 3.1.6 GHSA-1")


def test_an_advisory_rasa_holds_out_of_reach_is_accepted_and_printed() -> None:
    passed, lines = audit_verdict.verdict(
        report({"name": "aiohttp", "version": "3.9.5", "vulns": [vuln("GHSA-2", ["3.10.11"])]})
    )
    assert passed and lines[0].startswith("accepted    aiohttp 3.9.5 GHSA-2") and "aiohttp<3.10" in lines[0]


def test_a_fix_inside_rasas_constraints_is_not_excused() -> None:
    passed, _ = audit_verdict.verdict(
        report({"name": "sanic", "version": "21.12.2", "vulns": [vuln("GHSA-3", ["21.12.3", "23.0"])]})
    )
    assert not passed


def test_an_exact_pin_held_by_rasa_accepts_any_later_fix() -> None:
    passed, _ = audit_verdict.verdict(
        report({"name": "tensorflow", "version": "2.12.0", "vulns": [vuln("PYSEC-4", ["2.12.1"])]})
    )
    assert passed


def test_a_pin_not_audited_fails_and_an_empty_report_fails() -> None:
    passed, lines = audit_verdict.verdict(report({"name": "docopt", "skip_reason": "could not find"}))
    assert not passed and lines[0].startswith("NOT AUDITED docopt")
    assert audit_verdict.verdict(report())[0] is False


def test_the_script_exits_1_on_a_failing_report(tmp_path: Path) -> None:
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(report({"name": "jinja2", "version": "3.1.6", "vulns": [vuln("GHSA-5", [])]})))
    failed = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True, text=True)
    assert failed.returncode == 1 and "FAILED" in failed.stdout
    path.write_text(json.dumps(report({"name": "jinja2", "version": "3.1.6", "vulns": []})))
    assert subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True).returncode == 0
