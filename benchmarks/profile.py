"""`python -m benchmarks.profile [get post send ...]`: cProfile (CPU clock) of a scan GET, a scan POST and one
send in this process, on the bench database a run of `bin/bench` seeded (no server: the Django test client;
sends against the fake provider in a thread). Prints the top functions by cumulative CPU time, the CPU
milliseconds and the statements per unit, so a before and an after can be compared line by line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time

from . import config as bench_config

N = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("what", nargs="*", default=["get", "post", "send"])
    parser.add_argument("-n", type=int, default=N)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    bench_config.prepare_environment()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registry.models import QRCode
    from testkit.fakes.meta import FakeMeta

    from .context import Context
    from .sections.notify import _codes, outbox
    from .sections.scan import BODY
    from .seed import Seeded, reset_activity
    from .stack import Stack

    reset_activity()  # fresh codes: every POST a first report, every outbox alarm the code's only open one
    scan = list(
        QRCode.objects.filter(is_active=True, subject__name__startswith="Scan ", alarms__isnull=True)
        .order_by("-pk")
        .values_list("uuid", flat=True)[: 2 * args.n + 1]
    )
    notify = list(
        QRCode.objects.filter(subject__name__startswith="Notify ").order_by("-pk").values_list("pk", flat=True)
    )
    meta = FakeMeta(latency=0.1).start()
    from django.conf import settings

    settings.WHATSAPP_API_BASE_URL = meta.base_url
    client = Client(HTTP_HOST="127.0.0.1")
    get_code = scan[0]
    units = {}
    if "get" in args.what:
        units["get"] = lambda i: client.get(f"/scan/{get_code}/")
    if "post" in args.what:
        units["post"] = lambda i: client.post(
            f"/scan/{scan[i + 1]}/", BODY, content_type="application/x-www-form-urlencoded"
        )
    if "send" in args.what:
        from alerts.services import attempt_deliver

        ctx = Context(config=bench_config.Config(), stack=Stack.__new__(Stack), seeded=Seeded([], notify, 0, 0, 0))
        ids = outbox(_codes(ctx, 0, 2 * args.n // 5 + 2))
        units["send"] = lambda i: attempt_deliver(attempt_id=ids[i])
    try:
        for name, call in units.items():
            call(0) if name == "get" else None  # warm the GET (templates, connections)
            start = 1 if name == "send" else 0
            # First without the profiler (its overhead multiplies the CPU time), then under it.
            queries, cpu = 0, time.thread_time()
            for i in range(start, start + args.n):
                with CaptureQueriesContext(connection) as captured:
                    call(i)
                queries += len(captured.captured_queries)
            per = (time.thread_time() - cpu) / args.n * 1000
            profiler = cProfile.Profile(time.thread_time)
            for i in range(start + args.n, start + 2 * args.n):
                profiler.runcall(call, i)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(
                f"==> {name}: {per:.1f} CPU ms (this thread, unprofiled), {queries / args.n:.1f} statements, n={args.n}"
            )
            print(out.getvalue())
    finally:
        meta.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
