"""From a finder's scan POST to the first request at the provider: gunicorn, PostgreSQL, Redis, a worker, the fake.

Scans go out at a steady pace on distinct codes (open loop, so one slow answer does not delay the next
scan); the fake stamps each request when it arrives, and its message id leads back to the scanned code.
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from alerts.models import NotificationAttempt
from testkit.celery_worker import wait_for

from ..context import Context, Outcome
from ..stats import Table, Target, percentile
from .scan import BODY

SCANS = 200
PER_SECOND = 10
TARGET_S = 1.0


def run(ctx: Context) -> Outcome:
    base = ctx.stack.base_url
    codes = ctx.take_codes(SCANS)
    sent_at: dict[str, float] = {}
    answered: list[float] = []
    statuses: list[int] = []
    local = threading.local()

    def scan(code: str) -> None:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        sent_at[code] = time.time()
        response = session.post(
            f"{base}/scan/{code}/",
            data=BODY,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            allow_redirects=False,
            timeout=30,
        )
        answered.append(time.time() - sent_at[code])
        statuses.append(response.status_code)

    with ctx.stack.worker():
        meta = ctx.stack.meta
        first_index = len(meta.requests)
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            for i, code in enumerate(codes):
                delay = started + i / PER_SECOND - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(scan, code)
        try:
            wait_for(lambda: len(meta.requests) - first_index >= len(codes), timeout=60)
        except AssertionError:
            pass  # reported below as missing
        arrivals = meta.requests[first_index:]

    first_seen: dict[int, float] = {}
    for request in arrivals:
        message_id = int(json.loads(request.body).get("biz_opaque_callback_data", 0))
        first_seen[message_id] = min(first_seen.get(message_id, request.received_at), request.received_at)
    by_code: dict[str, float] = {}
    stored_at: dict[str, float] = {}
    pairs = NotificationAttempt.objects.filter(message_id__in=first_seen).values_list(
        "message_id", "alarm__qr_code__uuid", "alarm__timestamp"
    )
    for message_id, code, timestamp in pairs:
        code = str(code)
        if code in sent_at:
            by_code[code] = min(by_code.get(code, first_seen[message_id]), first_seen[message_id])
            stored_at[code] = timestamp.timestamp()
    delays = [by_code[c] - sent_at[c] for c in by_code]
    after_store = [by_code[c] - stored_at[c] for c in by_code]
    missing = len(codes) - len(delays)
    p50, p95, worst = (percentile(delays, p) * 1000 for p in (50, 95, 100))
    table = Table(
        "Scan POST to the first provider request (gunicorn, Redis, worker, fake Meta)",
        [
            "scans",
            "pace",
            "302s",
            "arrived",
            "p50 ms",
            "p95 ms",
            "max ms",
            "POST answer p50 ms",
            "stored to provider p50 / p95 ms",
        ],
    )
    table.add(
        len(codes), f"{PER_SECOND}/s", statuses.count(302), len(delays), p50, p95, worst,
        percentile(answered, 50) * 1000,
        f"{percentile(after_store, 50) * 1000:.0f} / {percentile(after_store, 95) * 1000:.0f}",
    )  # fmt: skip
    table.notes.append(
        f"Worker: {ctx.config.worker_label}; the fake answers after "
        f"{ctx.config.provider_latency * 1000:.0f} ms (not part of this delay: the request's arrival is)."
    )
    target = Target(
        "scan to provider request p95",
        f"< {TARGET_S * 1000:.0f} ms",
        f"{p95:.0f} ms" + (f", {missing} never arrived" if missing else ""),
        p95 < TARGET_S * 1000 and missing == 0,
    )
    return Outcome(tables=[table], targets=[target])
