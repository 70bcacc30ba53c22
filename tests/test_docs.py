"""The docs match the code: every command documented in a code block exists, and the deployment guide runs
the processes exactly as the Procfile does."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex

import pytest
from django.conf import settings
from django.core.management import get_commands

ROOT = settings.BASE_DIR
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"```[^\n]*\n(.*?)```", re.S)
SCRIPT = re.compile(r"(?<![\w./-])bin/([\w-]+)")
MANAGE = re.compile(r"manage\.py\s+([\w-]+)")
MODULE = re.compile(r"python3?\s+-m\s+([\w.]+)")
# Options a unit sets for its host (addresses), not behaviour the Procfile decides.
HOST_SPECIFIC = {"--bind", "--forwarded-allow-ips"}


def _code_lines() -> list[tuple[str, str]]:
    return [
        (path.relative_to(ROOT).as_posix(), line)
        for path in DOCS
        for block in BLOCK.findall(path.read_text())
        for line in block.splitlines()
    ]


def _documented(pattern: re.Pattern) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for where, line in _code_lines():
        for name in pattern.findall(line):
            found.setdefault(name, set()).add(where)
    return found


def test_every_documented_bin_script_exists_and_is_executable():
    scripts = _documented(SCRIPT)
    assert {"run", "test"} <= set(scripts)  # the pattern finds what the README shows
    missing = {n: w for n, w in scripts.items() if not os.access(ROOT / "bin" / n, os.X_OK)}
    assert not missing, f"documented but not in bin/: {missing}"


def test_every_documented_management_command_is_registered():
    commands = _documented(MANAGE)
    assert {"migrate", "check"} <= set(commands)
    missing = {n: w for n, w in commands.items() if n not in get_commands()}
    assert not missing, f"documented but not a management command: {missing}"


def test_every_documented_python_module_imports():
    modules = _documented(MODULE)
    assert modules
    missing = {n: w for n, w in modules.items() if importlib.util.find_spec(n) is None}
    assert not missing, f"documented but not importable: {missing}"


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _options(command: str) -> dict[str, str]:
    """--flag value pairs (a flag alone maps to ""), with ${VAR:-default} read as its default."""
    command = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", command)
    words, options = shlex.split(command), {}
    for i, word in enumerate(words):
        if word.startswith("--"):
            name, _, value = word.partition("=")
            following = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("--") else ""
            options[name] = value if "=" in word else following
    return options


def test_the_deployment_guide_lists_the_procfiles_commands_verbatim():
    guide = (ROOT / "docs" / "deployment.md").read_text()
    for name, command in _procfile().items():
        assert f"`{command}`" in guide, f"deployment.md does not show the Procfile's {name} command"


def _units() -> dict[str, str]:
    guide = (ROOT / "docs" / "deployment.md").read_text()
    starts = re.findall(r"^ExecStart=(.+)$", guide, re.M)
    by_process = {}
    for line in starts:
        process = "web" if "gunicorn" in line else "worker" if " worker " in line else "beat"
        by_process[process] = line
    return by_process


@pytest.mark.parametrize("process", ["web", "worker", "beat"])
def test_each_systemd_unit_passes_the_procfiles_options(process):
    wanted = _options(_procfile()[process])
    given = _options(_units()[process])
    for flag, value in wanted.items():
        assert flag in given, f"the {process} unit lacks {flag}"
        if flag not in HOST_SPECIFIC:
            assert given[flag] == value, f"the {process} unit has {flag} {given[flag]!r}, the Procfile {value!r}"


def test_the_web_unit_redacts_its_access_log():
    assert "--logger-class core.logredact.RedactingGunicornLogger" in _units()["web"]
