"""A Redis cache that degrades to "miss" when Redis is down or hung.

Wagtail keeps its site root paths in the default cache, so with the stock backend a Redis outage turns
every page (the scan page included) into a 500. A cache is an optimisation: when Redis does not answer,
reads miss, writes are dropped and a warning is logged; `incr` still raises so callers that count
(rate limits) can decide for themselves.
"""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def _degrade(default):
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                log.warning("cache unavailable during %s: %s", method.__name__, type(exc).__name__)
                return default() if callable(default) else default

        return inner

    return wrap


class ResilientRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        """A miss answers the caller's default, as a real miss would (callers count on it: DRF's throttle)."""
        try:
            return super().get(key, default, version)
        except (RedisError, OSError) as exc:
            log.warning("cache unavailable during get: %s", type(exc).__name__)
            return default

    get_many = _degrade(dict)(RedisCache.get_many)
    has_key = _degrade(False)(RedisCache.has_key)
    set = _degrade(None)(RedisCache.set)
    set_many = _degrade(list)(RedisCache.set_many)
    add = _degrade(False)(RedisCache.add)
    touch = _degrade(False)(RedisCache.touch)
    delete = _degrade(False)(RedisCache.delete)
    delete_many = _degrade(None)(RedisCache.delete_many)
