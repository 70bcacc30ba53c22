"""`python -m benchmarks [section ...]` (what `bin/bench` runs). No section: all the default ones, in order."""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime

from . import config as bench_config

# name -> (needs gunicorn, needs the 100,000 seeded alarms). Run in this order.
SECTIONS = {
    "qr": (False, False),
    "admin": (True, True),
    "exports": (True, True),
    "scan": (True, False),
    "latency": (True, False),
    "notify": (False, False),
}
# Run on request only: worker pools compared on a backlog, gunicorn settings compared under load.
OPTIONAL = {"pools": (False, False), "web": (False, False)}


def _terminate(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds every context: gunicorn, workers and fakes are stopped


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bin/bench", description=__doc__)
    parser.add_argument("sections", nargs="*", help=f"any of: {', '.join([*SECTIONS, *OPTIONAL])} (default: all)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to docs/benchmarks.md")
    parser.add_argument("--note", default="", help="a note for the run's heading in docs/benchmarks.md")
    args = parser.parse_args(argv)
    unknown = [s for s in args.sections if s not in SECTIONS and s not in OPTIONAL]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    selected = [s for s in [*SECTIONS, *OPTIONAL] if s in args.sections] or list(SECTIONS)
    bench_config.prepare_environment()
    import django

    django.setup()
    signal.signal(signal.SIGTERM, _terminate)
    logging.getLogger().setLevel(logging.WARNING)  # this process raises alarms too; keep its output readable

    from . import machine, prepare, report
    from .context import Context
    from .stack import Stack

    config = bench_config.Config()
    started = datetime.now(UTC)
    needs = {**SECTIONS, **OPTIONAL}
    tables, targets = [], []
    load = [f"Load average at start: {machine.load_average()}."]
    busy = machine.busy_processes()
    load.append("Other processes using CPU at start: " + (", ".join(busy) if busy else "none above 5%") + ".")
    clock = time.monotonic()
    with ExitStack() as exits:
        print(f"==> preparing ({', '.join(selected)})", flush=True)
        seeded = prepare.prepare(config, alarms=any(needs[s][1] for s in selected))
        stack = Stack(config, exits)
        stack.start_fake()
        if any(needs[s][0] for s in selected):
            stack.start_web()
        ctx = Context(config=config, stack=stack, seeded=seeded)
        for name in selected:
            print(f"==> {name}", flush=True)
            section_started = time.monotonic()
            outcome = importlib.import_module(f"benchmarks.sections.{name}").run(ctx)
            for table in outcome.tables:
                print("\n" + table.markdown(), flush=True)
            tables += outcome.tables
            targets += outcome.targets
            busy = machine.busy_processes()
            load.append(
                f"After {name} ({time.monotonic() - section_started:.0f} s): load average {machine.load_average()}; "
                "other processes using CPU: " + (", ".join(busy) if busy else "none above 5%") + "."
            )
    load.append(f"Whole run: {time.monotonic() - clock:.0f} s.")
    text = report.render(
        started=started,
        sections=selected,
        machine=machine.describe(*prepare.versions()),
        commit=machine.commit(),
        config=config.as_dict(),
        load=load,
        tables=tables,
        targets=targets,
        title_note=args.note,
    )
    if targets:
        from .stats import targets_table

        print("\n" + targets_table(targets).markdown())
    if not args.no_record:
        print(f"==> appended to {report.append(text)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: every process of the run was stopped", file=sys.stderr)
        sys.exit(130)
