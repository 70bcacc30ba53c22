"""What the background processes show of themselves: the worker and beat heartbeats, the broker's queue.

Worker: a thread started on `worker_ready` writes a timestamp to the shared cache every few seconds, so it
needs neither beat nor a free worker slot and stops exactly when the worker process dies. The same thread
asks the watchdog whether beat has gone silent: the watchdog's own periodic task is sent by beat, so when
beat dies only a process that does not depend on it can notice.

Beat: a periodic task (`alerts.beat_heartbeat`, every KERYU_BEAT_HEARTBEAT_INTERVAL seconds, created like
the other periodic tasks) writes its own timestamp when a worker runs it. A fresh beat pulse therefore
proves the whole schedule path (beat -> broker -> worker); a stale beat pulse with a fresh worker heartbeat
means beat itself is down. The task expires after two intervals, so a backlog of old pulses drained by a
returning worker does not make a dead beat look alive for long.
"""

from __future__ import annotations

import logging
import threading
import time

from celery.signals import worker_ready, worker_shutdown

log = logging.getLogger(__name__)
CACHE_KEY = "keryu:worker-heartbeat"
BEAT_CACHE_KEY = "keryu:beat-heartbeat"
_stop = threading.Event()


def _write(key: str) -> None:
    from django.core.cache import cache

    try:
        cache.set(key, time.time(), timeout=None)
    except Exception:  # the cache being down must not kill the worker
        log.warning("heartbeat %s could not be written", key, exc_info=True)


def _read(key: str) -> float | None:
    from django.core.cache import cache

    value = cache.get(key)
    return float(value) if value is not None else None


def beat_once() -> None:
    """The worker's heartbeat."""
    _write(CACHE_KEY)


def last_beat() -> float | None:
    """When a worker last wrote its heartbeat (epoch seconds), or None if none ever did."""
    return _read(CACHE_KEY)


def beat_pulse_write() -> None:
    """Beat's heartbeat, written by whichever worker runs the periodic `alerts.beat_heartbeat` task."""
    _write(BEAT_CACHE_KEY)


def last_beat_pulse() -> float | None:
    return _read(BEAT_CACHE_KEY)


def age(timestamp: float | None) -> float | None:
    return None if timestamp is None else round(max(0.0, time.time() - timestamp), 1)


def broker_queue_depth() -> int:
    """Tasks waiting in the queues workers consume (`alarms` and `default`; not yet taken by a worker).
    Raises if the broker does not answer.

    kombu's virtual transports (Redis, filesystem, SQLAlchemy) answer a passive declare with the count (Redis:
    over every priority level); Redis deletes an empty list, which it reports as "no such queue": that is an
    empty queue, not an error.
    """
    from amqp.exceptions import ChannelError
    from celery import current_app as app

    depth = 0
    with app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
        for queue in app.amqp.queues:
            try:
                depth += int(conn.default_channel.queue_declare(queue=queue, passive=True).message_count)  # type: ignore[attr-defined]  # kombu types default_channel as its abstract StdChannel, which leaves out queue_declare
            except ChannelError as exc:
                if str(getattr(exc, "reply_code", "")) != "404":
                    raise
    return depth


def _watch_beat() -> None:
    """Run from the worker's heartbeat thread: tell staff when beat is silent (the check claims its interval)."""
    try:
        from alerts.services.watchdog import beat_silence_check

        beat_silence_check()
    except Exception:  # a failing check must not stop the heartbeat
        log.warning("beat silence check failed", exc_info=True)


@worker_ready.connect
def _start(**_: object) -> None:
    from django.conf import settings

    interval = settings.KERYU_WORKER_HEARTBEAT_INTERVAL
    watch_every = settings.KERYU_WATCHDOG_INTERVAL

    def run() -> None:
        next_watch = time.monotonic() + watch_every  # give beat one interval to start with the worker
        while not _stop.is_set():
            beat_once()
            if time.monotonic() >= next_watch:
                _watch_beat()
                next_watch = time.monotonic() + watch_every
            _stop.wait(interval)

    threading.Thread(target=run, name="keryu-heartbeat", daemon=True).start()


@worker_shutdown.connect
def _stop_beating(**_: object) -> None:
    _stop.set()
