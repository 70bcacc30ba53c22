"""Fixed-window rate limits in the shared cache. A cache that is down allows the request: a finder must
never be turned away because Redis is."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.core.cache import cache

log = logging.getLogger(__name__)


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
    bucket_key = f"keryu:rl:{key}:{int(now // window)}"
    try:
        if cache.add(bucket_key, 1, timeout=window + 1):
            count = 1
        else:
            count = cache.incr(bucket_key)
    except Exception:
        log.warning("rate limit cache unavailable; allowing key=%s", key.split(":", 1)[0])
        return Verdict(True)
    if count > limit:
        if count == limit + 1:  # once per key and window: a flood must not flood the log too
            # The key's kind only ("scan-post-ip"): what follows it is an address, a code or a phone hash.
            log.warning("rate limit refused kind=%s limit=%s/%ss", key.split(":", 1)[0], limit, window)
        return Verdict(False, retry_after=max(1, int(window - now % window)))
    return Verdict(True)
