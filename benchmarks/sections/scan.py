"""The public scan page under load: GET and POST at 1 to 50 concurrent clients, against a trivial view.

POSTs each use a distinct code (a finder's first report, so no rate limit or cooldown applies) and the
worker delivers what they raise meanwhile, as in production. Stored alarms are counted in the database.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import Alarm

from .. import loadgen
from ..context import Context, Outcome
from ..stats import Table, Target

GET_LEVELS = [1, 10, 50]
POST_LEVELS = [1, 10, 20, 50]
POST_CODES_PER_LEVEL = 3000
GET_CAP = 100_000
COST_REQUESTS = 50
TRIVIAL = "/bench/trivial/"
BODY = urlencode(
    {
        "situation_type": "LOST",
        "description": "Crying near the fountain, says her name is Sofia",
        "location": "Parque México, Condesa",
        "latitude": "19.411800",
        "longitude": "-99.169700",
    }
)


def cost_per_request(ctx: Context) -> Table:
    """CPU (this thread) and queries per request in one process, no server: what bounds throughput on 2 cores."""
    client = Client(HTTP_HOST="127.0.0.1")
    get_code = ctx.get_codes[0]
    post_codes = ctx.take_codes(COST_REQUESTS + 1)
    cases = [
        ("trivial", lambda i: client.get(TRIVIAL), 200),
        ("scan GET", lambda i: client.get(f"/scan/{get_code}/"), 200),
        (
            "scan POST (first report)",
            lambda i: client.post(f"/scan/{post_codes[i]}/", BODY, content_type="application/x-www-form-urlencoded"),
            302,
        ),
    ]
    table = Table(
        "Cost per request in one process (Django test client, no server, worker stopped)",
        ["request", "CPU ms", "wall ms", "queries", "cache/broker calls"],
    )
    for label, call, status in cases:
        call(COST_REQUESTS)  # warm
        cpu, wall, queries = time.thread_time(), time.perf_counter(), 0
        for i in range(COST_REQUESTS):
            with CaptureQueriesContext(connection) as captured:
                response = call(i)
            if response.status_code != status:
                raise RuntimeError(f"{label} answered {response.status_code}")
            queries += len(captured.captured_queries)
        n = COST_REQUESTS
        table.add(
            label, (time.thread_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000, queries / n, ""
        )
    table.rows[1][4] = "rate limit: 1-2 Redis"
    table.rows[2][4] = "Redis publish per recipient"
    table.notes.append(
        "2 cores give at most 2,000 CPU ms a second, shared with PostgreSQL, Redis, the worker and the client."
    )
    return table


def _settled(count, *, quiet: float = 1.5, limit: float = 30.0) -> int:
    """Poll a count until it has not changed for `quiet` seconds (requests in flight finish), at most `limit`."""
    deadline = time.monotonic() + limit
    value, since = count(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.25)
        now = count()
        if now != value:
            value, since = now, time.monotonic()
    return value


def _row(table: Table, clients: int, view: str, r: loadgen.LoadResult, share: str) -> None:
    table.add(clients, view, r.responses, r.rps, r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms, r.errors, share)


def run(ctx: Context) -> Outcome:
    base, seconds = ctx.stack.base_url, ctx.config.load_seconds
    scan_paths = [f"/scan/{code}/" for code in ctx.get_codes]
    # Warm every gunicorn worker (imports, connections, templates) before measuring.
    loadgen.run(base, [TRIVIAL], connections=8, seconds=2)
    loadgen.run(base, scan_paths, connections=8, seconds=2)

    get = Table(
        "Scan page GET against the trivial view (same gunicorn, same run)",
        ["clients", "view", "answers", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors", "of trivial"],
    )
    results: dict[tuple[str, int], loadgen.LoadResult] = {}
    for clients in GET_LEVELS:
        trivial = loadgen.run(base, [TRIVIAL], connections=clients, seconds=seconds, cap=GET_CAP)
        scan = loadgen.run(base, scan_paths, connections=clients, seconds=seconds, cap=GET_CAP)
        results[("get", clients)], results[("trivial", clients)] = scan, trivial
        _row(get, clients, "trivial", trivial, "")
        _row(get, clients, "scan GET", scan, f"{100 * scan.rps / trivial.rps:.0f}%")

    post = Table(
        "Scan POST on distinct codes (alarms counted in the database; the worker delivers meanwhile)",
        ["clients", "302s", "other answers", "req/s", "p50 ms", "p95 ms", "p99 ms", "stored", "stored/s", "lost"],
    )
    stored_rate: dict[int, float] = {}
    complete: dict[int, bool] = {}
    with ctx.stack.worker():
        sends_before = ctx.stack.provider_requests()
        for clients in POST_LEVELS:
            codes = ctx.take_codes(POST_CODES_PER_LEVEL)
            start = datetime.now(UTC)
            r = loadgen.run(
                base, [f"/scan/{c}/" for c in codes], connections=clients, seconds=seconds,
                method="POST", body=BODY, expected=302, once=True,
            )  # fmt: skip
            end = datetime.now(UTC)
            stored = _settled(lambda codes=codes: Alarm.objects.filter(qr_code__uuid__in=codes).count())
            in_window = Alarm.objects.filter(timestamp__gte=start, timestamp__lte=end).count()
            stored_rate[clients] = in_window / (end - start).total_seconds()
            # A report is lost when its answer was not the redirect that follows storing it (a busy page, an
            # error), or when the redirect came without a stored alarm. Requests still unanswered when wrk
            # stopped count neither way (the server finishes them, and `stored` includes them).
            lost = r.errors + max(0, r.ok - stored)
            complete[clients] = lost == 0
            results[("post", clients)] = r
            post.add(clients, r.ok, r.errors, r.rps, r.p50_ms, r.p95_ms, r.p99_ms, stored, stored_rate[clients], lost)
        sends = ctx.stack.provider_requests() - sends_before
    post.notes.append(
        f"Meanwhile the worker ({ctx.config.worker_label}) made {sends:,} provider "
        "requests; the rest of the POSTs' deliveries were still queued when the section ended (purged)."
    )
    post.notes.append(
        "stored: alarms in the database for the codes posted, counted once the number stops growing; stored/s: "
        "alarms stored during the run / its length; lost: answers other than the redirect after storing, plus "
        "redirects without a stored alarm."
    )

    g50, t50 = results[("get", 50)], results[("trivial", 50)]
    p20 = results[("post", 20)]
    targets = [
        Target("scan GET p95 @50 clients", "< 50 ms", f"{g50.p95_ms:.0f} ms", g50.p95_ms < 50),
        Target(
            "scan GET throughput @50 clients",
            ">= 40% of trivial",
            f"{100 * g50.rps / t50.rps:.0f}% ({g50.rps:.0f} / {t50.rps:.0f} req/s)",
            g50.rps >= 0.4 * t50.rps,
        ),
        Target("scan POST p95 @20 clients", "< 300 ms", f"{p20.p95_ms:.0f} ms", p20.p95_ms < 300),
        Target(
            "alarms stored/s @50 clients, none lost",
            ">= 300/s, 0 lost",
            f"{stored_rate[50]:.0f}/s, {'none' if complete[50] else 'some'} lost or refused",
            stored_rate[50] >= 300 and complete[50],
        ),
    ]
    return Outcome(tables=[get, post, cost_per_request(ctx)], targets=targets)
