"""Small tables that staff edit rarely and every alarm reads (escalation policies, the channel order), kept in the
shared cache so a scan report or a send does not query them each time.

Each is dropped on any write, in every process at once (the cache is shared), now and again when the writing
transaction commits; CONFIG_SECONDS bounds what a write that slipped past both could leave. When the cache is
down, reads go to the database as before. A value read inside a transaction is not kept (the transaction may
still roll back what it read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

CONFIG_SECONDS = 60
_MISSING = object()
T = TypeVar("T")


def config_get(key: str, load: Callable[[], T]) -> T:
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = load()
        if not connection.in_atomic_block:  # what a transaction read may never be committed: not for others
            cache.set(key, value, CONFIG_SECONDS)
    return value  # type: ignore[no-any-return]


def config_forget(key: str) -> None:
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))
