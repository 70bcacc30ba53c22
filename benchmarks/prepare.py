"""Before any section: migrate, collect static files, empty the run's own Redis databases, seed."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from .config import Config
from .seed import Seeded, reset_activity, seed


def _step(label: str, fn, *args, **kwargs):
    started = time.monotonic()
    result = fn(*args, **kwargs)
    print(f"    {label}: {time.monotonic() - started:.1f} s", flush=True)
    return result


def _flush_own_redis() -> None:
    """FLUSHDB on this run's broker and cache databases only (never another database, never FLUSHALL)."""
    for url in {settings.CELERY_BROKER_URL, settings.REDIS_URL}:
        redis.Redis.from_url(url).flushdb()


def prepare(config: Config, *, alarms: bool) -> Seeded:
    _step("migrate", call_command, "migrate", interactive=False, verbosity=0)
    _step("collectstatic", call_command, "collectstatic", interactive=False, verbosity=0)
    _step("empty own redis databases", _flush_own_redis)
    _step("empty alarms, attempts, messages", reset_activity)
    return _step("seed" + (f" (with {config.alarms:,} alarms)" if alarms else ""), seed, config, alarms=alarms)


def versions() -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    info = redis.Redis.from_url(settings.REDIS_URL).info("server")
    return pg, str(info.get("redis_version", "?"))
