"""Counters shared by every process (web, workers), kept in the cache and read by the metrics scrape.

A prometheus_client Counter lives in one process: a worker's count would never reach the web process that
answers /metrics. What workers count goes here instead, one cache key per counter and label.

Token-bucket waits: no provider rate limiter (token bucket) exists yet. `token_bucket_wait_record` is the
hook it will call each time a send waits for a token; until then the metric exists and stays at zero.
"""

from __future__ import annotations

import logging

from django.core.cache import cache

log = logging.getLogger(__name__)
WAITS = "keryu:counter:token-bucket-waits:{channel}"
WAITED_MS = "keryu:counter:token-bucket-waited-ms:{channel}"


def _add(key: str, amount: int) -> None:
    try:
        if not cache.add(key, amount, timeout=None):
            cache.incr(key, amount)
    except Exception as exc:  # counting must never break a send
        log.warning("shared counter not updated (%s)", type(exc).__name__)


def token_bucket_wait_record(*, channel: str, seconds: float) -> None:
    """One send on `channel` waited `seconds` for its provider's rate limit."""
    _add(WAITS.format(channel=channel), 1)
    _add(WAITED_MS.format(channel=channel), round(seconds * 1000))


def token_bucket_waits(*, channels: list[str]) -> dict[str, tuple[int, float]]:
    """channel -> (waits, seconds waited in total), zero for a channel that never waited."""
    keys = [WAITS.format(channel=c) for c in channels] + [WAITED_MS.format(channel=c) for c in channels]
    values = cache.get_many(keys)
    return {
        c: (int(values.get(WAITS.format(channel=c), 0)), int(values.get(WAITED_MS.format(channel=c), 0)) / 1000)
        for c in channels
    }
