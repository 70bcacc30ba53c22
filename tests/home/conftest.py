"""The public pages' tests: rate limits live in the cache, so each test starts and ends with an empty one."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()
