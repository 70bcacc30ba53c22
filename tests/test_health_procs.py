"""/health/ready against real processes: a Celery worker and beat are started, then stopped one by one.

Heartbeat intervals and age limits are shortened through the same settings (and environment variables for
the children) that production uses; the bounds on waiting are generous and are no speed assertions.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from alerts.heartbeat import BEAT_CACHE_KEY, CACHE_KEY
from testkit.celery_worker import running_worker, wait_for
from testkit.procs import kill_hard, running_beat

MAX_AGE = 4
CHILD_ENV = {
    "KERYU_WORKER_HEARTBEAT_INTERVAL": "1",
    "KERYU_WATCHDOG_INTERVAL": "1",
    "KERYU_BEAT_HEARTBEAT_MAX_AGE": "4",
}


def _only_the_beat_heartbeat_every_second() -> None:
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="alerts.beat_heartbeat").update(interval=every, expire_seconds=2, enabled=True)
    PeriodicTask.objects.exclude(task="alerts.beat_heartbeat").update(enabled=False)


def _ready() -> tuple[int, dict]:
    response = Client().get("/health/ready")
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
def test_ready_goes_503_when_beat_stops_and_when_the_worker_stops(settings):
    settings.KERYU_WORKER_HEARTBEAT_MAX_AGE = MAX_AGE
    settings.KERYU_BEAT_HEARTBEAT_MAX_AGE = MAX_AGE
    assert PeriodicTask.objects.filter(task="alerts.beat_heartbeat").exists()  # created with the others
    _only_the_beat_heartbeat_every_second()
    cache.delete_many([CACHE_KEY, BEAT_CACHE_KEY, "keryu:watchdog:beat"])
    with running_worker(pool="threads", concurrency=2, env=CHILD_ENV) as worker:
        with running_beat(CHILD_ENV) as beat:
            wait_for(lambda: _ready()[0] == 200, timeout=60, interval=0.5)
            cache.delete("keryu:watchdog:beat")  # the worker may have claimed it before beat's first pulse
            seen = len(worker.lines)

            kill_hard(beat)
            wait_for(lambda: _ready()[0] == 503, timeout=60, interval=0.5)
            body = _ready()[1]
            assert body["beat"]["ok"] is False and body["worker"]["ok"] is True, body
            # Beat cannot send the watchdog its own death: the worker's heartbeat thread noticed and told staff.
            wait_for(lambda: any("watchdog cause=beat" in line for line in worker.lines[seen:]), timeout=60)

        kill_hard(worker)
        wait_for(lambda: _ready()[1]["worker"]["ok"] is False, timeout=60, interval=0.5)
        status, body = _ready()
        assert status == 503 and body["worker"]["last_heartbeat_seconds_ago"] > MAX_AGE
