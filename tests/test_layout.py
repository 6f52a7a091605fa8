"""What import-linter cannot see: scripts/ is no package, so its imports are checked here."""

from __future__ import annotations

import ast

from meso.settings import PROJECT_ROOT


def test_scripts_never_import_the_tests() -> None:
    offenders = []
    for path in sorted((PROJECT_ROOT / "scripts").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "tests" or name.startswith("tests.") for name in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []
