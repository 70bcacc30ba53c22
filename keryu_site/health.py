"""GET /health/: the state of the database, the broker and the worker, as JSON (200 all well, 503 not)."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app
from .heartbeat import last_beat


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}


def _broker() -> dict:
    transport = celery_app.conf.broker_url.split("://", 1)[0]
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return {"ok": True, "transport": transport}
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": type(exc).__name__}


def _worker() -> dict:
    try:
        beat = last_beat()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    if beat is None:
        return {"ok": False, "last_heartbeat_seconds_ago": None}
    age = round(time.time() - beat, 1)
    return {"ok": age <= settings.KERYU_WORKER_HEARTBEAT_MAX_AGE, "last_heartbeat_seconds_ago": age}


@never_cache
@require_GET
def health(request):
    checks = {"database": _database(), "broker": _broker(), "worker": _worker()}
    ok = all(c["ok"] for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **checks}, status=200 if ok else 503)
