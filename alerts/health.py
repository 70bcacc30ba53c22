"""Liveness and readiness, as JSON, for load balancers, process supervisors and uptime monitors.

- `GET /health/live`: the web process answers. No database, broker or cache: a supervisor that restarts on
  a failed liveness probe must not restart every web process because PostgreSQL is away.
- `GET /health/ready` (and its old name `/health/`): 200 when the database and the broker answer, a worker
  and beat have written their heartbeats recently, the broker's queue is short and no notification has
  been waiting past its time for long; 503 otherwise, saying which. Thresholds are settings
  (KERYU_*_MAX_AGE, KERYU_HEALTH_MAX_QUEUE_DEPTH, KERYU_HEALTH_MAX_DUE_SECONDS).

Both are exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT): a balancer probes the backend over plain
HTTP. They name the broker's transport and exception class names, never a URL, host or credential.

Why not django-health-check (4.8.0 is the newest that installs on Python 3.11; it supports Django 5.2 and
its dataclass plugin model would hold the heartbeat and queue checks): its view answers 500 rather than 503,
its JSON maps each check to "OK" or an error string, so the ages and depths that say *how* stale or deep
are lost, and it answers HTML unless the client asks for JSON. Overriding the view, the renderer and the
status code would leave only its check runner, which runs synchronous checks in executor threads outside
Django's per-request database connection handling. Six small functions say the same more plainly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import current_app as celery_app
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from alerts.monitoring import outbox_backlog

from .heartbeat import age, broker_queue_depth, last_beat, last_beat_pulse


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}


def _broker() -> dict[str, Any]:
    """Reachable, and how many tasks wait in its queues (one connection answers both)."""
    transport = celery_app.conf.broker_url.split("://", 1)[0]
    try:
        depth = broker_queue_depth()
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": type(exc).__name__}
    return {"ok": True, "transport": transport, "queue_depth": depth}


def _heartbeat(read: Callable[[], float | None], max_age: int) -> dict[str, Any]:
    try:
        seconds = age(read())
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": seconds is not None and seconds <= max_age, "last_heartbeat_seconds_ago": seconds}


def _queue(broker: dict[str, Any]) -> dict[str, Any]:
    limit = settings.KERYU_HEALTH_MAX_QUEUE_DEPTH
    depth = broker.get("queue_depth")
    return {"ok": depth is not None and depth <= limit, "depth": depth, "max": limit}


def _outbox() -> dict[str, Any]:
    limit = settings.KERYU_HEALTH_MAX_DUE_SECONDS
    try:
        backlog = outbox_backlog()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    oldest = None if backlog.oldest_due_seconds is None else round(backlog.oldest_due_seconds, 1)
    return {"ok": oldest is None or oldest <= limit, "due": backlog.due, "oldest_due_seconds": oldest, "max": limit}


def readiness() -> dict[str, dict[str, Any]]:
    broker = _broker()
    return {
        "database": _database(),
        "broker": broker,
        "worker": _heartbeat(last_beat, settings.KERYU_WORKER_HEARTBEAT_MAX_AGE),
        "beat": _heartbeat(last_beat_pulse, settings.KERYU_BEAT_HEARTBEAT_MAX_AGE),
        "queue": _queue(broker),
        "outbox": _outbox(),
    }


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **checks}, status=200 if ok else 503)


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


# The original URL (/health/), kept for existing probes: it is the readiness check.
health = ready
