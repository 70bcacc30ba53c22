"""Re-queueing work whose task was lost: the one shape every sweeper shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

# Work older than this is left alone (it has long stopped mattering, or needs a person, not a retry).
HORIZON = timedelta(days=1)
BATCH = 200


def requeue_waiting(rows: QuerySet[Any], *, since: str, older_than: int, enqueue: Callable[[int], object]) -> list[int]:
    """Queue again, by id, up to BATCH of `rows` whose `since` timestamp is more than `older_than` seconds and
    less than HORIZON ago (a task that should have run by now). Returns the ids queued."""
    now = timezone.now()
    due = rows.filter(**{f"{since}__lt": now - timedelta(seconds=older_than), f"{since}__gte": now - HORIZON})
    ids = list(due.values_list("pk", flat=True)[:BATCH])
    for pk in ids:
        enqueue(pk)
    return ids
