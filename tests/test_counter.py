"""core.ratelimit's counter: the one count behind the scan rate limits, the sign-in spraying limit and the
workers' shared metric counters."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from accounts.backends import ip_failure_add, ip_failure_count, spray_key
from core.ratelimit import counter_add, counter_value

KEY = "keryu:test-counter:203.0.113.1"
DOWN = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture(autouse=True)
def _clean():
    cache.delete_many([KEY, spray_key("203.0.113.1")])
    yield
    cache.delete_many([KEY, spray_key("203.0.113.1")])


def test_counts_add_up_and_expire_with_the_window_of_the_first_hit():
    assert counter_add(key=KEY, seconds=60) == 1
    assert counter_add(key=KEY, seconds=60) == 2
    assert counter_add(key=KEY, seconds=60, amount=5) == 7
    assert counter_value(key=KEY) == 7
    cache.delete(KEY)  # the window ran out
    assert counter_value(key=KEY) == 0
    assert counter_add(key=KEY, seconds=60) == 1


def test_with_the_cache_down_nothing_is_counted_and_nothing_raises():
    with override_settings(CACHES=DOWN):
        assert counter_add(key=KEY, seconds=60) is None
        assert counter_value(key=KEY) == 0
        ip_failure_add("203.0.113.1")
        assert ip_failure_count("203.0.113.1") == 0


def test_the_spraying_limit_counts_with_it():
    for _ in range(3):
        ip_failure_add("203.0.113.1")
    assert ip_failure_count("203.0.113.1") == counter_value(key=spray_key("203.0.113.1")) == 3
