"""docs/ARCHITECTURE.md stays true to the tree: every `file.py:name` it names exists."""

from __future__ import annotations

import ast
import re
from typing import Set

from meso.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "ARCHITECTURE.md"
REFERENCE = re.compile(r"`([\w/]+\.py):([\w.]+)`")


def defined_names(path: str) -> Set[str]:
    """Top-level names and Class.method names defined in a module."""
    tree = ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    names: Set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            if isinstance(node, ast.ClassDef):
                names.update(
                    f"{node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


def test_the_doc_names_files_and_functions() -> None:
    references = REFERENCE.findall(DOC.read_text(encoding="utf-8"))
    assert len(references) >= 20  # the two traces


def test_every_named_function_exists() -> None:
    missing = []
    for path, name in REFERENCE.findall(DOC.read_text(encoding="utf-8")):
        if not (PROJECT_ROOT / path).is_file():
            missing.append(f"{path} (no such file)")
        elif name not in defined_names(path):
            missing.append(f"{path}:{name}")
    assert missing == []
