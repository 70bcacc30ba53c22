"""Counters shared by every process (web, workers), kept in the cache and read by the metrics scrape.

A prometheus_client Counter lives in one process: a worker's count would never reach the web process that
answers /metrics. What workers count goes here instead, one cache key per counter and label.

Token-bucket waits: messaging.services.limits calls `token_bucket_wait_record` each time a send waits for its
sender's token (core.throttle).
"""

from __future__ import annotations

from django.core.cache import cache

from .ratelimit import counter_add

WAITS = "keryu:counter:token-bucket-waits:{channel}"
WAITED_MS = "keryu:counter:token-bucket-waited-ms:{channel}"


def token_bucket_wait_record(*, channel: str, seconds: float) -> None:
    """One send on `channel` waited `seconds` for its provider's rate limit."""
    # counter_add never raises: counting must never break a send.
    counter_add(key=WAITS.format(channel=channel), seconds=None)
    counter_add(key=WAITED_MS.format(channel=channel), seconds=None, amount=round(seconds * 1000))


def token_bucket_waits(*, channels: list[str]) -> dict[str, tuple[int, float]]:
    """channel -> (waits, seconds waited in total), zero for a channel that never waited."""
    keys = [WAITS.format(channel=c) for c in channels] + [WAITED_MS.format(channel=c) for c in channels]
    values = cache.get_many(keys)
    return {
        c: (int(values.get(WAITS.format(channel=c), 0)), int(values.get(WAITED_MS.format(channel=c), 0)) / 1000)
        for c in channels
    }
