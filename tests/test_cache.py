"""The resilient Redis cache: a hung Redis costs one timeout, then the server is skipped for a while."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
from django.conf import settings
from redis.exceptions import RedisError

from core import cache as resilient


class HungRedis:
    """A port that accepts connections and never answers (Redis stopped with SIGSTOP looks like this)."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.accepted.append(conn)

    @property
    def location(self) -> str:
        return f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"

    def close(self) -> None:
        for conn in self.accepted:
            conn.close()
        self.server.close()


@pytest.fixture
def hung():
    server = HungRedis()
    yield server
    server.close()
    resilient._down_until.clear()


def _cache(location: str) -> resilient.ResilientRedisCache:
    return resilient.ResilientRedisCache(location, {"OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.3}})


def test_after_one_timeout_a_hung_redis_is_not_asked_again_during_the_backoff(hung):
    cache = _cache(hung.location)
    assert cache.get("k") is None  # timed out, degraded to a miss
    asked = len(hung.accepted)
    assert asked >= 1
    assert cache.get("k") is None
    cache.set("k", 1)
    assert cache.add("k", 1) is False
    with pytest.raises(RedisError):
        cache.incr("k")
    assert len(hung.accepted) == asked


def test_the_backoff_is_per_server(hung):
    _cache(hung.location).get("k")
    other = HungRedis()
    try:
        assert _cache(other.location).get("k") is None
        assert len(other.accepted) >= 1  # a different server is still tried
    finally:
        other.close()


def test_the_server_is_tried_again_once_the_backoff_is_over(hung, monkeypatch):
    cache = _cache(hung.location)
    cache.get("k")
    asked = len(hung.accepted)
    monkeypatch.setattr(resilient, "_down_until", {})
    cache.get("k")
    assert len(hung.accepted) > asked


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the Redis cache (REDIS_URL), as CI has")
def test_clear_deletes_only_this_caches_keys_not_the_whole_redis_database():
    """The broker (REDIS_URL by default) and the other parallel test processes keep their keys."""
    ours = resilient.ResilientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"clear-{uuid.uuid4().hex}"})
    other = resilient.ResilientRedisCache(settings.REDIS_URL, {"KEY_PREFIX": f"other-{uuid.uuid4().hex}"})
    raw = ours._cache.get_client(None, write=True)
    queue = f"queue-{uuid.uuid4().hex}"  # what kombu keeps: a list under a bare name
    try:
        ours.set_many({"a": 1, "b": 2})
        other.set("a", 3)
        raw.rpush(queue, "task")
        ours.clear()
        assert ours.get_many(["a", "b"]) == {}
        assert other.get("a") == 3
        assert raw.lrange(queue, 0, -1) == [b"task"]
    finally:
        other.clear()
        raw.delete(queue)
