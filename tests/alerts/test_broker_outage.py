"""Redis hung, then stopped, while finders scan: every scan still answers, nothing is lost, all go out once Redis is back.

A private redis-server (own port, no persistence) is the broker of a real web server, worker and beat
started for this test; the shared Redis is never touched. Runs on SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack

import pytest
import requests

from alerts.models import NotificationAttempt, NotificationStatus
from testkit.celery_worker import running_worker, wait_for
from testkit.procs import RedisServer, fast_sweeper, running_beat, running_web

from ..factories import QRCodeFactory, SubjectFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs a redis-server binary to stop and start"),
]

SCANS = 20


def _scan(base: str, code) -> int:
    session = requests.Session()
    page = session.get(f"{base}/scan/{code}/", timeout=3)
    assert page.status_code == 200
    response = session.post(  # as the page's form posts: no token (the route is exempt), same origin
        f"{base}/scan/{code}/",
        data={"situation_type": "LOST", "description": "At the bus stop"},
        headers={"Sec-Fetch-Site": "same-origin"},
        timeout=3,  # the bound the issue sets for a scan; requests raises past it
        allow_redirects=False,
    )
    return response.status_code


def test_scans_succeed_while_redis_is_down_and_are_all_delivered_after_it_returns(alice):
    codes = [QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian)).uuid for _ in range(SCANS)]
    fast_sweeper()
    redis = RedisServer()
    redis.start()
    env = {
        "CELERY_BROKER_URL": redis.url,
        "KERYU_CHANNEL_ORDER": "development",
        "KERYU_SWEEP_GRACE_SECONDS": "2",
        "KERYU_PROCESSING_LEASE_SECONDS": "5",
    }
    restarts: list[str] = []
    try:
        with ExitStack() as stack:
            base = stack.enter_context(running_web(env))
            worker = stack.enter_context(running_worker(concurrency=2, env=env))
            beat = stack.enter_context(running_beat(env))
            redis.hang()  # first half: Redis hung (accepts connections, never answers)
            durations = []
            for i, code in enumerate(codes):
                if i == SCANS // 2:
                    redis.stop()  # second half: Redis gone (connections refused)
                started = time.monotonic()
                status = _scan(base, code)
                durations.append(time.monotonic() - started)
                assert status in (200, 302), status  # 302: the form's redirect to the thank-you page
            assert NotificationAttempt.objects.count() == SCANS
            assert not NotificationAttempt.objects.exclude(status=NotificationStatus.PENDING).exists()
            redis.start()
            back = time.monotonic()

            def delivered() -> bool:
                nonlocal worker
                if worker.proc.poll() is not None:
                    # kombu 5.7 can crash the worker on a broker connection loss ("Unrecoverable error:
                    # AttributeError ... hostname"); production runs it under a supervisor that restarts it.
                    restarts.append(worker.output[-2000:])
                    worker = stack.enter_context(running_worker(concurrency=2, env=env))
                return NotificationAttempt.objects.filter(status=NotificationStatus.SENT).count() == SCANS

            try:
                wait_for(delivered, timeout=30)
            except AssertionError:
                raise AssertionError(
                    f"not all delivered\nworker said:\n{worker.output[-6000:]}\nbeat said:\n{beat.output[-4000:]}"
                ) from None
            elapsed = time.monotonic() - back
    finally:
        redis.stop()
    if restarts:
        print(f"\nNOTE worker exited during the outage and was restarted {len(restarts)}x (as a supervisor would)")
    print(
        f"\nMEASURED scans with Redis hung then down: max {max(durations):.2f} s, median {sorted(durations)[SCANS // 2]:.2f} s"
    )
    print(f"MEASURED Redis back -> all {SCANS} delivered: {elapsed:.1f} s")
    assert NotificationAttempt.objects.filter(message__isnull=False).values("message").distinct().count() == SCANS
