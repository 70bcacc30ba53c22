"""One run as Markdown: printed, and appended to docs/benchmarks.md."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .stats import Table, Target, targets_table

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Recorded by `bin/bench` (see README.md): each run appends a section below with its date, machine, commit,
configuration, what else was using the CPU, its tables and the issue's targets. Everything runs on
127.0.0.1: gunicorn, real Celery workers, PostgreSQL, Redis and the fake Meta API from testkit/fakes answering
every request after 100 ms. Figures from different machines or loads do not compare; ratios within one
run (the scan page against the trivial view) do.
"""


def render(
    *,
    started: datetime,
    sections: list[str],
    machine: dict[str, str],
    commit: str,
    config: dict[str, object],
    load: list[str],
    tables: list[Table],
    targets: list[Target],
    title_note: str = "",
) -> str:
    lines = [
        f"## Run {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}"
        + (f" ({title_note})" if title_note else ""),
        "",
        f"Sections: {', '.join(sections)}.",
        "",
        "| machine | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in machine.items()],
        "",
        "Configuration: " + ", ".join(f"{k}={v}" for k, v in config.items()) + ".",
        "",
        *[f"- {line}" for line in load],
        "",
    ]
    body = "\n".join(lines)
    for table in tables:
        body += "\n" + table.markdown()
    if targets:
        body += "\n" + targets_table(targets).markdown()
    return body


def append(text: str) -> Path:
    existing = DOC.read_text() if DOC.exists() else HEADER
    DOC.write_text(existing.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n")
    return DOC
