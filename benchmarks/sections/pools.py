"""Which Celery pool suits delivery: the same backlog drained by each candidate (run on request: `bin/bench pools`).

A send spends ~100 ms waiting for the provider and a few ms of CPU: concurrency, not CPU, bounds the rate.
"""

from __future__ import annotations

import time

from alerts.services import attempt_enqueue
from testkit.celery_worker import purge_queue, wait_for

from ..context import Context, Outcome
from ..stats import Table
from .notify import _codes, outbox

ALARMS = 200  # x5 recipients = 1,000 sends per candidate
# (pool, concurrency, worker processes); prefork 4 is what the Procfile ran before
CANDIDATES = [("prefork", 4, 1), ("prefork", 12, 1), ("threads", 16, 1), ("threads", 32, 1), ("threads", 16, 2)]
try:  # gevent is not a requirement: measured when installed (`.venv/bin/pip install gevent`)
    import gevent  # noqa: F401

    CANDIDATES += [("gevent", 32, 1), ("gevent", 32, 2)]
except ImportError:
    pass


def run(ctx: Context) -> Outcome:
    meta = ctx.stack.meta
    offset = len(ctx.seeded.notify_codes) - ALARMS * len(CANDIDATES)  # the last codes: notify uses the first
    table = Table(
        "Worker pools draining the same backlog (1,000 sends, provider answers in 100 ms)",
        ["pool", "concurrency", "processes", "sent", "drain s", "sends/min", "worker RSS MiB"],
    )
    for index, (pool, concurrency, processes) in enumerate(CANDIDATES):
        purge_queue()
        ids = outbox(_codes(ctx, offset + index * ALARMS, ALARMS))
        for attempt_id in ids:  # queued before the worker starts: a backlog
            attempt_enqueue(attempt_id=attempt_id)
        expected = len(ids)
        first = len(meta.requests)
        with ctx.stack.worker(pool=pool, concurrency=concurrency, processes=processes, purge=False) as worker:
            ready = time.time()

            def drained(first: int = first, expected: int = expected) -> bool:
                return len(meta.requests) - first >= expected and len(ctx.stack.provider_messages(first)) >= expected

            try:
                wait_for(drained, timeout=120, interval=0.1)
            except AssertionError:
                pass
            drain = time.time() - ready
            got = len(ctx.stack.provider_messages(first))
            rss = _rss_mib(worker.proc.pid) * processes
        table.add(pool, concurrency, processes, got, drain, round(got / drain * 60), rss)
    table.notes.append("RSS: the worker processes and their pool children together (first process x processes).")
    return Outcome(tables=[table])


def _rss_mib(pid: int) -> float:
    from testkit.procs import children_of

    total = 0
    for p in [pid, *children_of(pid)]:
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024
