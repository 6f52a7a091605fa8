"""axe-core accessibility audits in a Playwright page (axe-core pinned in package-lock.json).

The script is injected from node_modules with `add_script_tag`, so pages with a strict
CSP are audited in a browser context created with `bypass_csp=True`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, heading order...).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("critical", "serious")


def audit(page: Any) -> List[Dict[str, Any]]:
    """Every axe violation on the page as {id, impact, nodes, targets}."""
    if not AXE.is_file():
        pytest.fail("node_modules/axe-core is missing: run `make setup` (npm ci).", pytrace=False)
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": len(violation["nodes"]),
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def assert_accessible(page: Any, where: str, strict: bool = True) -> List[Dict[str, Any]]:
    """Fails on any critical or serious violation (on any violation at all when `strict`)."""
    violations = audit(page)
    blocking = [v for v in violations if strict or v["impact"] in BLOCKING]
    assert not blocking, f"axe violations {where}: {blocking}"
    return violations
