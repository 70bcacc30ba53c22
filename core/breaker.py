"""The one circuit breaker: after a failure, answer at once instead of waiting on a dependency that is down.

Used by the cache (core.cache: a Redis that is down or hung) and by queuing (alerts.services.delivery: a
broker that is down or hung). Each failure there costs a socket or publish timeout; one is enough to know,
so one failure opens the breaker for `open_seconds`, during which callers skip the call and take their own
fallback (a cache miss, a row left for the sweeper). Then calls go through again and the next failure opens
it afresh. State is per process and per key (the cache keys by server: one dead Redis must not silence
another).

Hand-written on purpose, after looking at the well-kept libraries:
- pybreaker runs every call under one lock per breaker, the call itself included: the web process's threads
  (4) and the worker's (16) would queue behind one hung Redis call, which is what the breaker must prevent.
  It also times the open state by the wall clock.
- circuitbreaker fixes the open time when the breaker is built (a setting such as KERYU_ENQUEUE_BACKOFF is
  read when it fails here) and reads 0 as its 30 s default; it records a failure only from an exception raised
  inside its own context (a publish that times out in a helper thread raises nothing), and registers every
  instance in a process-wide monitor.
Both wrap the call and raise their own error while open; here the caller asks and keeps its fallback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping


class Breaker:
    """Open for `open_seconds` after each failure of a key, closed otherwise.

    `open_seconds` may be a callable, read at each failure (settings changed at run time count). `state`
    maps a key to the monotonic time until which it is open; pass one to share it between instances (the
    cache builds its breaker per call over a module-level mapping), or leave it to the breaker.
    """

    __slots__ = ("_clock", "_open_seconds", "_state")

    def __init__(
        self,
        *,
        open_seconds: float | Callable[[], float],
        state: MutableMapping[str, float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._open_seconds = open_seconds
        self._state: MutableMapping[str, float] = {} if state is None else state
        self._clock = clock

    def is_open(self, key: str = "") -> bool:
        """True while a recent failure of `key` says: do not even try."""
        return self._clock() < self._state.get(key, 0.0)

    def failure(self, key: str = "") -> None:
        """`key` just failed (an error or a timeout): open for the next `open_seconds`."""
        seconds = self._open_seconds() if callable(self._open_seconds) else self._open_seconds
        self._state[key] = self._clock() + seconds
