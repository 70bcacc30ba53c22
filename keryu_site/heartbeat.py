"""Worker liveness for /health/: each worker writes a timestamp to the shared cache every few seconds.

A thread started on `worker_ready` does the writing, so the heartbeat needs neither beat nor a free
worker slot: it stops exactly when the worker process dies.
"""

from __future__ import annotations

import logging
import threading
import time

from celery.signals import worker_ready, worker_shutdown

log = logging.getLogger(__name__)
CACHE_KEY = "keryu:worker-heartbeat"
_stop = threading.Event()


def beat_once() -> None:
    from django.core.cache import cache

    try:
        cache.set(CACHE_KEY, time.time(), timeout=None)
    except Exception:  # the cache being down must not kill the worker
        log.warning("worker heartbeat could not be written", exc_info=True)


def last_beat() -> float | None:
    from django.core.cache import cache

    value = cache.get(CACHE_KEY)
    return float(value) if value is not None else None


@worker_ready.connect
def _start(**_: object) -> None:
    from django.conf import settings

    interval = settings.KERYU_WORKER_HEARTBEAT_INTERVAL

    def run() -> None:
        while not _stop.is_set():
            beat_once()
            _stop.wait(interval)

    threading.Thread(target=run, name="keryu-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_beating(**_: object) -> None:
    _stop.set()
