"""The dependency direction of HOUSE_STYLE.md: home -> alerts -> {registry, messaging}."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = {"home", "registry", "alerts", "messaging", "accounts"}
ALLOWED = {
    "home": {"alerts", "registry", "messaging"},
    "alerts": {"registry", "messaging"},
    "registry": set(),
    "messaging": set(),
    "accounts": {"registry", "messaging"},
}
ALLOWED["home"] |= {"accounts"}
# The watchdog (alerts.services.watchdog) counts accounts' security events to tell staff; accounts imports no alerts.
ALLOWED["alerts"] |= {"accounts"}


def _imported_apps(app: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != app:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_imports_only_what_the_dependency_direction_allows(app):
    forbidden = {dep: files for dep, files in _imported_apps(app).items() if dep not in ALLOWED[app]}
    assert not forbidden, f"{app} must not import {forbidden}"
