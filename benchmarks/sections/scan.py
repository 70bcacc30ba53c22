"""The public scan page under load: GET and POST at 1 to 50 concurrent clients, against a trivial view.

POSTs each use a distinct code (a finder's first report, so no rate limit or cooldown applies) and the
worker delivers what they raise meanwhile, as in production. Stored alarms are counted in the database.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from alerts.models import Alarm

from .. import loadgen, rounds
from ..context import Context, Outcome
from ..stats import Table, Target

GET_LEVELS = [1, 10, 50]
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


ROUNDS = 3
POST_CLIENTS = 50
POST_CODES_PER_ROUND = 1500
REPLAY_CONNECTIONS = 8  # as many as gunicorn's 4 x 2 holds


def _get_row(table: Table, clients: int, view: str, s: rounds.Series, share: str) -> None:
    table.add(clients, view, s.rate, s.p95_ms, s.server_ms, s.postgres_ms, s.machine_share, s.errors, share)


def _post_round(ctx: Context, clients: int) -> rounds.Round:
    """One round of first reports on distinct codes; counts the alarms stored (in the database) for them."""
    codes = ctx.take_codes(POST_CODES_PER_ROUND)
    if len(codes) < clients * 2:
        raise RuntimeError("not enough unused scan codes left: seed more (BENCH_SCAN_SUBJECTS)")
    holder: dict[str, int] = {}

    def stored(r: loadgen.LoadResult) -> int:
        holder["stored"] = _settled(lambda: Alarm.objects.filter(qr_code__uuid__in=codes).count())
        holder["lost"] = r.errors + max(0, r.ok - holder["stored"])
        return holder["stored"]

    one = rounds.measured(
        lambda: loadgen.run(
            ctx.stack.base_url, [f"/scan/{c}/" for c in codes], connections=clients,
            seconds=ctx.config.load_seconds, method="POST", body=BODY, expected=302, once=True,
        ),
        stored,
    )  # fmt: skip
    one.lost = holder["lost"]
    return one


def _captured_posts(ctx: Context, count: int) -> list[list[str]]:
    """The SQL of `count` scan POSTs (first reports) made in this process, as executed (values inlined)."""
    client = Client(HTTP_HOST="127.0.0.1")
    scripts = []
    for code in ctx.take_codes(count):
        # Rolled back: the alarm is not kept (the replay inserts it again) and nothing is queued.
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            response = client.post(f"/scan/{code}/", BODY, content_type="application/x-www-form-urlencoded")
            transaction.set_rollback(True)
        if response.status_code != 302:
            raise RuntimeError(f"scan POST answered {response.status_code}")
        scripts.append([q["sql"] for q in captured.captured_queries])
    return scripts


def replay_round(scripts: list[list[str]], seconds: float) -> rounds.Round:
    """The scan POST's own statements replayed by psycopg alone, one connection per script, in threads.

    Each replay is one transaction ending in ROLLBACK (the same open alarm is inserted again and again; a
    commit would leave it there). What a POST costs PostgreSQL, with no Python of ours in between: the limit.
    """
    import threading

    import psycopg

    url = connection.settings_dict
    dsn = f"host={url['HOST']} port={url['PORT'] or 5432} dbname={url['NAME']} user={url['USER']}"
    done = [0] * len(scripts)
    stop = time.monotonic() + seconds

    def loop(i: int) -> None:
        with psycopg.connect(dsn + (f" password={url['PASSWORD']}" if url["PASSWORD"] else "")) as conn:
            statements = [sql for sql in scripts[i] if not sql.upper().startswith(("SAVEPOINT", "RELEASE"))]
            while time.monotonic() < stop:
                with conn.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql.encode())
                conn.rollback()
                done[i] += 1

    before = rounds.cpu_snapshot()
    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(i,)) for i in range(len(scripts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    after = rounds.cpu_snapshot()
    result = loadgen.LoadResult(len(scripts), elapsed, sum(done), sum(done), sum(done), 0, 0, *(float("nan"),) * 4)
    return rounds.Round(
        result=result,
        counted=sum(done),
        seconds=elapsed,
        server_cpu=0.0,
        postgres_cpu=after["postgres"] - before["postgres"],
        machine_cpu=after["machine"] - before["machine"],
    )


def run(ctx: Context) -> Outcome:
    base, seconds = ctx.stack.base_url, ctx.config.load_seconds
    scan_paths = [f"/scan/{code}/" for code in ctx.get_codes]
    # Warm every gunicorn worker (imports, connections, templates) before measuring.
    loadgen.run(base, [TRIVIAL], connections=8, seconds=2)
    loadgen.run(base, scan_paths, connections=8, seconds=2)

    get = Table(
        f"Scan page GET against the trivial view: interleaved rounds (trivial, scan, x{ROUNDS}), medians",
        ["clients", "view", "req/s", "p95 ms", "web CPU ms/req", "PostgreSQL CPU ms/req", "machine busy (cores)",
         "errors", "of trivial"],
    )  # fmt: skip
    results: dict[tuple[str, int], rounds.Series] = {}
    for clients in GET_LEVELS:
        series = rounds.interleaved(
            {
                "trivial": lambda c=clients: rounds.measured(
                    lambda: loadgen.run(base, [TRIVIAL], connections=c, seconds=seconds, cap=GET_CAP)
                ),
                "scan GET": lambda c=clients: rounds.measured(
                    lambda: loadgen.run(base, scan_paths, connections=c, seconds=seconds, cap=GET_CAP)
                ),
            },
            rounds=ROUNDS,
        )
        trivial, scan = series["trivial"], series["scan GET"]
        results[("get", clients)], results[("trivial", clients)] = scan, trivial
        _get_row(get, clients, "trivial", trivial, "")
        ratio = f"{scan.rate / trivial.rate:.2f} (CPU {trivial.server_ms / scan.server_ms:.2f})"
        _get_row(get, clients, "scan GET", scan, ratio)
    get.notes.append(
        "of trivial: the scan page's req/s over the trivial view's, and (CPU) the trivial view's web CPU per "
        "request over the scan page's: the second does not move with the machine's other load."
    )

    post = Table(
        f"Scan POST at {POST_CLIENTS} clients, distinct codes, alarms counted in the database: interleaved rounds "
        f"against the same statements replayed by psycopg alone (x{ROUNDS}), medians",
        ["what", "stored/s (tx/s)", "p95 ms", "web CPU ms/alarm", "PostgreSQL CPU ms/alarm", "machine busy (cores)",
         "lost"],
    )  # fmt: skip
    scripts = _captured_posts(ctx, REPLAY_CONNECTIONS)
    statements = len(scripts[0])
    web_alone = rounds.interleaved(
        {
            "web": lambda: _post_round(ctx, POST_CLIENTS),
            "replay": lambda: replay_round(scripts, seconds),
        },
        rounds=ROUNDS,
    )
    with ctx.stack.worker():
        sends_before = ctx.stack.provider_requests()
        with_worker = rounds.Series("with worker")
        for _ in range(ROUNDS):
            with_worker.rounds.append(_post_round(ctx, POST_CLIENTS))
        sends = ctx.stack.provider_requests() - sends_before

    def lost(s: rounds.Series) -> int:
        return sum(r.lost for r in s.rounds)

    for label, s in [
        ("scan POST, web alone", web_alone["web"]),
        (f"limit: its {statements} statements replayed by psycopg ({REPLAY_CONNECTIONS} connections)",
         web_alone["replay"]),
        (f"scan POST, worker ({ctx.config.worker_label}) delivering alongside", with_worker),
    ]:  # fmt: skip
        post.add(label, s.rate, s.p95_ms, s.server_ms, s.postgres_ms, s.machine_share, lost(s))
    post.notes.append(
        f"The worker made {sends:,} provider requests during its rounds; lost: answers other than the redirect "
        "after storing, plus redirects without a stored alarm (counted in the database)."
    )
    post.notes.append(
        "The replay runs each captured POST's statements (SAVEPOINTs left out) as one transaction ending in "
        "ROLLBACK, in a loop per connection: what PostgreSQL alone allows on this machine."
    )
    stored_rate = {50: web_alone["web"].rate}
    complete = {50: lost(web_alone["web"]) == 0}
    results[("post", 20)] = web_alone["web"]

    g50, t50 = results[("get", 50)], results[("trivial", 50)]
    ww = with_worker
    targets = [
        Target("scan GET p95 @50 clients", "< 50 ms", f"{g50.p95_ms:.0f} ms", g50.p95_ms < 50),
        Target(
            "scan GET throughput @50 clients",
            ">= 40% of trivial",
            f"{100 * g50.rate / t50.rate:.0f}% ({g50.rate:.0f} / {t50.rate:.0f} req/s)",
            g50.rate >= 0.4 * t50.rate,
        ),
        Target(
            "alarms stored/s @50 clients, web alone, none lost",
            ">= 150/s, 0 lost",
            f"{stored_rate[50]:.0f}/s, {'none' if complete[50] else 'some'} lost or refused",
            stored_rate[50] >= 150 and complete[50],
        ),
        Target(
            "alarms stored/s @50 clients, worker alongside, none lost",
            ">= 80/s, 0 lost",
            f"{ww.rate:.0f}/s, {'none' if lost(ww) == 0 else 'some'} lost or refused",
            ww.rate >= 80 and lost(ww) == 0,
        ),
    ]
    return Outcome(tables=[get, post, cost_per_request(ctx)], targets=targets)
