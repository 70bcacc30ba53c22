"""The dependency direction of HOUSE_STYLE.md, for every app, without exceptions.

    home, api -> alerts -> accounts -> {registry, messaging} -> core;  keryu_site wires and nobody imports it.

Imports are read with `ast`, at module level and inside functions alike. An import inside a function that
reaches another Keryu app is refused too (it is how a cycle hides), except in `apps.py` (`AppConfig.ready()`), where
Django requires models and signal receivers to be imported late. Migrations are frozen history and skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS: dict[str, set[str]] = {
    "core": set(),
    "registry": {"core"},
    "messaging": {"core"},
    "accounts": {"registry", "messaging", "core"},
    "alerts": {"accounts", "registry", "messaging", "core"},
    "home": {"alerts", "accounts", "registry", "messaging", "core"},
    "api": {"alerts", "accounts", "registry", "messaging", "core"},
    # Wiring: settings, URLs, the Celery app, WSGI/ASGI and the /ops/ re-registrations reach every app.
    "keryu_site": {"core", "registry", "messaging", "accounts", "alerts", "home", "api"},
}
APPS = set(LAYERS)


class _Imports(ast.NodeVisitor):
    """Every absolute import of a Keryu package, with where it sits (module level, ready(), other function)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, int, str]] = []  # (top-level package, line, "module" | "ready" | "function")
        self._where: list[str] = []

    in_app_config = False

    def _scope(self) -> str:
        if not self._where:
            return "module"
        return "ready" if self.in_app_config else "function"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._where.append(node.name)
        self.generic_visit(node)
        self._where.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name.split(".")[0], node.lineno, self._scope()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.found.append((node.module.split(".")[0], node.lineno, self._scope()))


def _imports(app: str) -> list[tuple[str, str, int, str]]:
    out = []
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue  # a migration is frozen history; its RunPython functions import what they need late
        visitor = _Imports()
        visitor.in_app_config = path.name == "apps.py"
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        rel = str(path.relative_to(ROOT))
        out += [(top, rel, line, scope) for top, line, scope in visitor.found if top in APPS and top != app]
    return out


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_imports_only_what_the_dependency_direction_allows(app):
    wrong = [f"{rel}:{line} imports {top}" for top, rel, line, _ in _imports(app) if top not in LAYERS[app]]
    assert not wrong, f"{app} may import only {sorted(LAYERS[app])}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("app", sorted(APPS))
def test_no_import_of_another_app_hides_inside_a_function(app):
    hidden = [f"{rel}:{line} imports {top}" for top, rel, line, scope in _imports(app) if scope == "function"]
    assert not hidden, "move these imports to the top of the module:\n" + "\n".join(hidden)


def test_the_layers_have_no_cycle():
    """The table above is itself a direction: no app may (transitively) reach itself."""

    def reach(app: str, seen: set[str]) -> set[str]:
        for dep in LAYERS[app] - seen:
            seen.add(dep)
            reach(dep, seen)
        return seen

    assert all(app not in reach(app, set()) for app in APPS)


def test_every_keryu_package_is_in_the_table():
    """A new app must be placed in the direction before it can be imported."""
    packages = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"keryu_site"}
    assert packages == APPS


@pytest.mark.parametrize("app", sorted(APPS))
def test_apps_import_neither_the_tests_nor_the_testkit(app):
    """Fakes, worker and web processes are test tooling: production code never loads them."""
    wrong = []
    for path in (ROOT / app).rglob("*.py"):
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        wrong += [f"{path.relative_to(ROOT)}:{line}" for top, line, _ in visitor.found if top in ("tests", "testkit")]
    assert not wrong, "test tooling imported by an app:\n" + "\n".join(wrong)


# testkit itself is shared by drills and benchmarks, so it may not reach into the tests either.
@pytest.mark.parametrize("folder", ["drills", "benchmarks", "testkit"])
def test_drills_and_benchmarks_do_not_reach_into_the_tests(folder):
    wrong = []
    for path in (ROOT / folder).rglob("*.py"):
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(), filename=str(path)))
        wrong += [f"{path.relative_to(ROOT)}:{line}" for top, line, _ in visitor.found if top == "tests"]
    assert not wrong, "shared test helpers live in the testkit package:\n" + "\n".join(wrong)
