"""Surviving a dropped database connection (a failover, a restarted pooler, a terminated backend)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)
T = TypeVar("T")

# What a dropped connection raises: OperationalError on the statement that meets the dead socket
# ("terminating connection due to administrator command", "server closed the connection unexpectedly"),
# InterfaceError on the next use of a connection already known to be closed.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def connection_discard() -> None:
    """Drop this thread's connection so the next query opens a fresh one. Inside a transaction Django only
    marks it for rollback: the whole outer block fails, as it must."""
    connection.close()


def retry_once_on_connection_error(fn: Callable[[], T], *, what: str) -> T:
    """Run `fn`, a function whose writes are one transaction; if the connection dropped under it, open a new
    connection and run it once more.

    Only outside a transaction (inside one, the caller's block is lost and must fail as a whole). If the drop
    came during COMMIT, the first run may have committed after all: for a report the second run then finds the
    alarm the first one raised and joins it as a scan event, so a retry never raises a second alarm.
    """
    try:
        return fn()
    except CONNECTION_ERRORS as exc:
        if connection.in_atomic_block:
            raise
        log.warning("%s: database connection lost (%s); retrying once", what, type(exc).__name__)
        connection_discard()
    return fn()
