"""A Redis cache that degrades to "miss" when Redis is down or hung.

Wagtail keeps its site root paths in the default cache, so with the stock backend a Redis outage turns
every page (the scan page included) into a 500. A cache is an optimisation: when Redis does not answer,
reads miss, writes are dropped and a warning is logged; `incr` still raises so callers that count
(rate limits) can decide for themselves.

After a failure the server is skipped for BACKOFF_SECONDS (core.breaker, per process and server): a hung Redis
costs one socket timeout, not one per cache call. Without it a scan during a Redis hang paid the timeout for every
get, set, add and incr it made and took up to 12 s (found by the fault drill, `bin/drill`).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from .breaker import Breaker

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 5.0
_down_until: dict[str, float] = {}  # server location -> monotonic time until which it is skipped

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _breaker() -> Breaker:
    """Over the module's `_down_until`, looked up at each call: every cache instance (Django makes one per
    thread) shares it, and tests reset it."""
    return Breaker(open_seconds=BACKOFF_SECONDS, state=_down_until)


def _is_down(cache: ResilientRedisCache) -> bool:
    return _breaker().is_open(cache.location)


def _mark_down(cache: ResilientRedisCache) -> None:
    _breaker().failure(cache.location)


def _degrade(
    default: Callable[[], _R],
) -> Callable[[Callable[Concatenate[RedisCache, _P], _R]], Callable[Concatenate[ResilientRedisCache, _P], _R]]:
    """Wrap a RedisCache method: while the server is down (or when the call fails) answer `default()`."""

    def wrap(
        method: Callable[Concatenate[RedisCache, _P], _R],
    ) -> Callable[Concatenate[ResilientRedisCache, _P], _R]:
        @functools.wraps(method)
        def inner(cache: ResilientRedisCache, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
            if _is_down(cache):
                return default()
            try:
                return method(cache, *args, **kwargs)
            except (RedisError, OSError) as exc:
                _mark_down(cache)
                log.warning("cache unavailable during %s: %s", method.__name__, type(exc).__name__)
                return default()

        return inner

    return wrap


def _false() -> bool:
    return False


def _none() -> None:
    return None


def _no_keys() -> list[Any]:
    return []


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new `redis.Redis` for every cache call, and each one rebuilds its table of
    response callbacks: about a third of a millisecond of CPU per call, several calls per scan and per send
    (docs/profiles/). One `redis.Redis` per connection pool does the same work: it is safe to share between
    threads, each command taking its own connection from the pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        # The key of this server's backoff, shared by every thread's instance of the cache.
        self.location = str(server)

    def get(self, key: Any, default: Any | None = None, version: int | None = None) -> Any:
        """A miss answers the caller's default, as a real miss would (callers count on it: DRF's throttle)."""
        if _is_down(self):
            return default
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            _mark_down(self)
            log.warning("cache unavailable during get: %s", type(exc).__name__)
            return default

    get_many = _degrade(dict)(RedisCache.get_many)
    has_key = _degrade(_false)(RedisCache.has_key)
    set = _degrade(_none)(RedisCache.set)
    set_many = _degrade(_no_keys)(RedisCache.set_many)
    add = _degrade(_false)(RedisCache.add)
    touch = _degrade(_false)(RedisCache.touch)
    delete = _degrade(_false)(RedisCache.delete)
    delete_many = _degrade(_none)(RedisCache.delete_many)

    def clear(self) -> None:
        """Delete this cache's keys only (those under its KEY_PREFIX), never the whole Redis database.

        Django's clear() is FLUSHDB, which would also drop a Celery queue kept in the same database (the broker
        defaults to REDIS_URL) or the keys of another process with its own prefix (parallel test processes).
        """
        client = self._cache.get_client(None, write=True)
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.key_prefix) + ":*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) >= 1000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)

    def incr_expire(self, key: Any, delta: int, timeout: int | None, version: int | None = None) -> int:
        """Add `delta` to the count at `key` (created at 0) and give a new count its `timeout` (None: none):
        INCRBY and EXPIRE NX in one pipeline, one round trip where `add` then `incr` took two. Raises when
        Redis is away, as `incr` does (counters decide for themselves)."""
        if _is_down(self):
            raise RedisConnectionError("cache marked down after a recent failure")
        key = self.make_and_validate_key(key, version=version)
        try:
            client = self._cache.get_client(key, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.incrby(key, delta)
            if timeout is not None:
                pipe.expire(key, timeout, nx=True)
            return int(pipe.execute()[0])
        except (RedisError, OSError):
            _mark_down(self)
            raise

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """Raises when Redis is away (callers decide), at once while the server is marked down."""
        if _is_down(self):
            raise RedisConnectionError("cache marked down after a recent failure")
        try:
            return super().incr(key, delta, version)
        except (RedisError, OSError):
            _mark_down(self)
            raise
