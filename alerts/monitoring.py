"""Reads for monitoring: the outbox backlog, delivery latencies and outcomes per channel.

One place for these facts: `/health/ready`, the Prometheus collector (alerts/metrics.py) and the watchdog
(alerts/services/watchdog.py) all call these functions, so a threshold and the number a graph shows are
computed the same way. Everything is read from the database, so it is the same whichever process asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Alarm, NotificationAttempt, NotificationStatus

# Outcomes a finished attempt can have, for failure rates (PENDING/PROCESSING/CANCELLED are not outcomes).
SUCCEEDED = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ)
FAILED = (NotificationStatus.FAILED, NotificationStatus.UNDELIVERED, NotificationStatus.ERROR)


@dataclass(frozen=True)
class Backlog:
    due: int  # PENDING attempts whose time has come
    oldest_due_seconds: float | None  # how long the oldest of them has been due; None when none is


@dataclass(frozen=True)
class ChannelOutcomes:
    channel: str
    succeeded: int
    failed: int

    @property
    def failure_ratio(self) -> float:
        total = self.succeeded + self.failed
        return self.failed / total if total else 0.0


def outbox_backlog(*, now: datetime | None = None) -> Backlog:
    """Attempts due and not yet claimed. Due since `not_before`, or since it was written when it has none.

    Escalation rows waiting for their `not_before` are not due; a retry's back-off sets `not_before` too.
    """
    now = now or timezone.now()
    due = NotificationAttempt.objects.filter(status=NotificationStatus.PENDING).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    row = due.aggregate(count=Count("pk"), since=Min(Coalesce("not_before", "created_at")))
    oldest = (now - row["since"]).total_seconds() if row["since"] else None
    return Backlog(due=row["count"], oldest_due_seconds=None if oldest is None else max(0.0, oldest))


def attempts_by_channel_and_status(*, since: datetime) -> dict[tuple[str, str], int]:
    """Attempts written since `since`, counted by (channel, current status)."""
    rows = (
        NotificationAttempt.objects.filter(created_at__gte=since)
        .values_list("channel", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {(channel, status): n for channel, status, n in rows}


def channel_outcomes(*, since: datetime) -> list[ChannelOutcomes]:
    """Per channel, attempts that finished since `since` (by their last update) that succeeded or failed."""
    rows = (
        NotificationAttempt.objects.filter(updated_at__gte=since)
        .values("channel")
        .annotate(
            succeeded=Count("pk", filter=Q(status__in=SUCCEEDED)), failed=Count("pk", filter=Q(status__in=FAILED))
        )
        .order_by("channel")
    )
    return [ChannelOutcomes(r["channel"], r["succeeded"], r["failed"]) for r in rows]


def alarms_by_situation() -> dict[str, int]:
    """Every alarm ever raised (and still kept), by situation."""
    rows = Alarm.objects.values_list("situation_type").annotate(n=Count("pk")).order_by()
    return dict(rows)


def alarms_unacknowledged_by_situation() -> dict[str, int]:
    """Open alarms (not resolved) that nobody has acknowledged, test alarms left out."""
    rows = (
        Alarm.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True, is_test=False)
        .values_list("situation_type")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


@dataclass(frozen=True)
class Latencies:
    """Seconds from the scan (the alarm's timestamp) to each milestone, one value per alarm that reached it."""

    first_provider_request: list[float]
    delivered: list[float]
    acknowledged: list[float]


def alarm_latencies(*, since: datetime) -> Latencies:
    """For alarms raised since `since`: scan -> first provider request, -> first delivery, -> acknowledgement.

    The first provider request is the earliest message row among the alarm's first notifications
    (`update_seq` 0): delivery writes it immediately before calling the provider, once per attempt, and keeps
    it across retries, where `claimed_at` would move with every retry.
    """
    rows = (
        Alarm.objects.filter(timestamp__gte=since)
        .annotate(
            first_request=Min("attempts__message__created_at", filter=Q(attempts__update_seq=0)),
            first_delivered=Min("attempts__delivered_at", filter=Q(attempts__update_seq=0)),
        )
        .values_list("timestamp", "first_request", "first_delivered", "acknowledged_at")
    )
    out: tuple[list[float], list[float], list[float]] = ([], [], [])
    for scanned, *milestones in rows:
        for values, at in zip(out, milestones, strict=True):
            if at is not None:
                values.append(max(0.0, (at - scanned).total_seconds()))
    return Latencies(*out)


def window_start(seconds: int) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)
