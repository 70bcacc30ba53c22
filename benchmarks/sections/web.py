"""Which gunicorn settings suit 2 cores: the same loads against each candidate (run on request: `bin/bench web`).

Django is CPU-bound between short waits on PostgreSQL and Redis: processes give parallelism past the GIL,
threads fill the waits. Each candidate gets its own gunicorn, started and stopped here.
"""

from __future__ import annotations

from testkit.procs import running_web

from .. import loadgen
from ..context import Context, Outcome
from ..stack import wait_for_workers
from ..stats import Table
from .scan import BODY, TRIVIAL

# (workers, threads); 2 x 4 is the Procfile's default, 4 x 2 the benchmarks' default
CANDIDATES = [(2, 4), (4, 2), (4, 1), (5, 1), (8, 1)]
SECONDS = 5
CLIENTS = 50
POST_CLIENTS = 20


def run(ctx: Context) -> Outcome:
    table = Table(
        f"gunicorn settings: req/s and p95 ms, trivial and scan GET at {CLIENTS} clients, scan POST at {POST_CLIENTS}",
        [
            "workers x threads",
            "trivial req/s",
            "trivial p95",
            "scan GET req/s",
            "scan GET p95",
            "POST req/s",
            "POST p95",
            "errors",
        ],
    )
    scan_paths = [f"/scan/{code}/" for code in ctx.get_codes]
    for workers, threads in CANDIDATES:
        with running_web(ctx.stack.child_env(), workers=workers, threads=threads) as base:
            wait_for_workers(base, workers)
            loadgen.run(base, scan_paths, connections=8, seconds=2)  # warm up
            trivial = loadgen.run(base, [TRIVIAL], connections=CLIENTS, seconds=SECONDS)
            get = loadgen.run(base, scan_paths, connections=CLIENTS, seconds=SECONDS)
            codes = ctx.take_codes(1500)
            post = loadgen.run(
                base, [f"/scan/{c}/" for c in codes], connections=POST_CLIENTS, seconds=SECONDS,
                method="POST", body=BODY, expected=302, once=True,
            )  # fmt: skip
        errors = trivial.errors + get.errors + post.errors
        table.add(
            f"{workers} x {threads}", trivial.rps, trivial.p95_ms, get.rps, get.p95_ms, post.rps, post.p95_ms, errors
        )
    table.notes.append("No worker runs here: POSTs queue their sends (purged by the next section that starts one).")
    return Outcome(tables=[table])
