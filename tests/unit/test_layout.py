"""`workflow/` is arranged by role, each floor importing only the floors below it:
measure/ and ops/ use local/, local/ uses standins/, standins/ uses none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from repo_paths import REPO_ROOT

WORKFLOW = REPO_ROOT / "workflow"
MAX_LINES = 450
# What each role may import from the others (besides itself).
MAY_IMPORT = {
    "standins": set(),
    "local": {"standins"},
    "ops": {"local", "standins"},
    "measure": {"local", "standins"},
}


def _modules() -> list[Path]:
    return sorted(WORKFLOW.rglob("*.py"))


def _role(path: Path) -> str | None:
    parts = path.relative_to(WORKFLOW).parts
    return parts[0] if len(parts) > 1 else None


def _imported_roles(path: Path) -> set[str]:
    roles = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "workflow" and len(parts) > 1 and parts[1] in MAY_IMPORT:
                roles.add(parts[1])
    return roles


def test_every_module_of_workflow_belongs_to_a_role_or_is_the_entry_point() -> None:
    loose = [p.name for p in _modules() if _role(p) is None]
    assert sorted(loose) == ["__init__.py", "__main__.py"]
    assert {p.parts[0] for p in (m.relative_to(WORKFLOW) for m in _modules()) if len(p.parts) > 1} == set(
        MAY_IMPORT
    )


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(WORKFLOW)))
def test_no_module_is_longer_than_a_reader_can_hold(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(REPO_ROOT)} has {lines} lines: split it by what it decides"


@pytest.mark.parametrize(
    "path", [p for p in _modules() if _role(p)], ids=lambda p: str(p.relative_to(WORKFLOW))
)
def test_a_role_imports_only_the_roles_below_it(path: Path) -> None:
    role = _role(path)
    assert role is not None
    upward = _imported_roles(path) - MAY_IMPORT[role] - {role}
    assert not upward, f"{path.relative_to(REPO_ROOT)} ({role}/) imports from {sorted(upward)}"
