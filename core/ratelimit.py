"""Counting in the shared cache, and the fixed-window rate limits built on it.

One counter for every count that must hold across processes: the scan page's rate limits (`rate_hit`), the
sign-in's password-spraying limit (accounts.backends) and the workers' metric counters (core.counters). A
cache that is down counts nothing and the caller allows: a finder must never be turned away because Redis is.

Hand-written, after looking at django-ratelimit (4.1.0, the well-kept one): its system check refuses the
file-based cache the zero-setup run uses ("not atomic") and warns on core.cache's Redis backend, and a cache
that raises on `incr` (core.cache does, on purpose, when Redis is away) reaches the caller as a 500 rather
than its fail-open answer. It would also need a request for every count (the sign-in counts in a signal).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)


def counter_add(*, key: str, seconds: int | None, amount: int = 1) -> int | None:
    """Add `amount` to the count at `key` and return the new count; None when the cache is down.

    The count lives `seconds` from its first hit (None: for ever): a window that starts with the first hit.
    For windows on the clock, put the window's number into the key (`rate_hit` does).
    """
    try:
        incr_expire = getattr(cache, "incr_expire", None)
        if incr_expire is not None:  # core.cache's Redis backend: one round trip
            return int(incr_expire(key, amount, seconds))
        if cache.add(key, amount, timeout=seconds):
            return amount
        try:
            return cache.incr(key, amount)
        except ValueError:  # the count expired between add and incr: this hit starts the next one
            cache.set(key, amount, timeout=seconds)
            return amount
    except Exception as exc:  # the cache is away: nothing to count with (the key may hold an address: not logged)
        log.warning("cache counter not updated (%s)", type(exc).__name__)
        return None


def counter_value(*, key: str) -> int:
    """The count at `key`; 0 when there is none or the cache is down."""
    try:
        return int(cache.get(key) or 0)
    except Exception as exc:
        log.warning("cache counter not read (%s)", type(exc).__name__)
        return 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/600' -> (10 requests, 600 seconds)."""
    count, _, seconds = rate.partition("/")
    return int(count), int(seconds or 60)


def rate_hit(*, key: str, rate: str) -> Verdict:
    limit, window = parse_rate(rate)
    now = time.time()
    count = counter_add(key=f"keryu:rl:{key}:{int(now // window)}", seconds=window + 1)
    if count is None:
        log.warning("rate limit cache unavailable; allowing key=%s", key.split(":", 1)[0])
        return Verdict(True)
    if count > limit:
        if count == limit + 1:  # once per key and window: a flood must not flood the log too
            # The key's kind only ("scan-post-ip"): what follows it is an address, a code or a phone hash.
            log.warning("rate limit refused kind=%s limit=%s/%ss", key.split(":", 1)[0], limit, window)
        return Verdict(False, retry_after=max(1, int(window - now % window)))
    return Verdict(True)
