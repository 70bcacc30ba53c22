"""Sending within a provider's limits, shared by every worker: a token bucket and a 24-hour set of recipients.

Both live in Redis (the shared cache's server) and are changed by one Lua script each, so two workers can never
take the same token or both start the 251st conversation. The bucket is GCRA (a "theoretical arrival time" per
sender): each call reserves the next free slot and answers how long to wait for it, so a send waits its turn
instead of failing, and the order of the calls is the order of the sends (an INJURED alarm's sends, taken first
from the `alarms` queue, keep their place).

Without Redis (the zero-setup run: a file cache, one machine) both fall back to this process's memory: the limit
then holds per process only. A Redis that does not answer is not waited for: the send goes (the provider may
refuse it with its rate-limit code, which the channel treats as transient).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

log = logging.getLogger(__name__)

# KEYS[1] the bucket; ARGV[1] microseconds between tokens, ARGV[2] burst (tokens that may go at once).
# Returns the microseconds to wait for the slot it reserved (0: go now).
_BUCKET_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local go_at = tat - (burst - 1) * interval
if go_at < now then go_at = now end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return math.floor(go_at - now)
"""

# KEYS[1] a sorted set member -> when its 24 h started; ARGV[1] member, ARGV[2] window seconds, ARGV[3] limit.
# Returns {admitted (1/0), members in the window after this call, new (1/0)}.
_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return {1, redis.call('ZCARD', KEYS[1]), 0}
end
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  return {0, count, 0}
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]) + 60)
return {1, count + 1, 1}
"""

_local_lock = threading.Lock()
_local_tat: dict[str, float] = {}
_local_windows: dict[str, dict[str, float]] = {}


def _redis() -> Any | None:
    """The raw client of the cache's Redis server, or None when the cache is not Redis."""
    inner = getattr(cache, "_cache", None)
    if inner is None or not hasattr(inner, "get_client"):
        return None
    return inner.get_client(write=True)


def bucket_take(*, key: str, rate: float, burst: int = 1) -> float:
    """Reserve the next slot of `rate` per second for `key`; the seconds to wait before using it (0: now)."""
    if rate <= 0:
        return 0.0
    interval = 1_000_000 / rate
    client = _redis()
    if client is not None:
        try:
            waited = client.eval(_BUCKET_LUA, 1, cache.make_key(f"keryu:bucket:{key}"), interval, max(burst, 1))
            return int(waited) / 1_000_000
        except Exception as exc:  # Redis away: do not hold the send; the provider's own limit still answers
            log.warning("token bucket unavailable (%s); sending without waiting", type(exc).__name__)
            return 0.0
    with _local_lock:
        now = time.monotonic()
        tat = max(_local_tat.get(key, now), now)
        go_at = max(tat - (max(burst, 1) - 1) * interval / 1_000_000, now)
        _local_tat[key] = tat + interval / 1_000_000
        return go_at - now


@dataclass(frozen=True)
class WindowAdmission:
    admitted: bool
    count: int  # members in the window after this call
    new: bool  # this call added the member


def window_admit(*, key: str, member: str, limit: int, seconds: int = 86400) -> WindowAdmission:
    """Admit `member` to the set of at most `limit` distinct members seen in the last `seconds` (a member already
    in it is always admitted). Fails open when Redis does not answer."""
    client = _redis()
    if client is not None:
        try:
            admitted, count, new = client.eval(
                _WINDOW_LUA, 1, cache.make_key(f"keryu:window:{key}"), member, seconds, limit
            )
            return WindowAdmission(bool(admitted), int(count), bool(new))
        except Exception as exc:
            log.warning("conversation window unavailable (%s); admitting", type(exc).__name__)
            return WindowAdmission(True, 0, False)
    with _local_lock:
        now = time.time()
        members = {m: t for m, t in _local_windows.setdefault(key, {}).items() if t > now - seconds}
        _local_windows[key] = members
        if member in members:
            return WindowAdmission(True, len(members), False)
        if len(members) >= limit:
            return WindowAdmission(False, len(members), False)
        members[member] = now
        return WindowAdmission(True, len(members), True)


def window_count(*, key: str, seconds: int = 86400) -> int:
    """How many distinct members the window holds now (0 when Redis does not answer)."""
    client = _redis()
    if client is not None:
        try:
            return int(client.zcount(cache.make_key(f"keryu:window:{key}"), time.time() - seconds, "+inf"))
        except Exception as exc:
            log.warning("conversation window unreadable (%s)", type(exc).__name__)
            return 0
    with _local_lock:
        now = time.time()
        return sum(1 for t in _local_windows.get(key, {}).values() if t > now - seconds)


def window_clear(*, key: str) -> None:
    """Forget a window (tests, and staff after a tier upgrade)."""
    client = _redis()
    if client is not None:
        client.delete(cache.make_key(f"keryu:window:{key}"))
    with _local_lock:
        _local_windows.pop(key, None)
