"""Reads for alerts."""

from __future__ import annotations

from django.db.models import QuerySet

from keryu_site.roles import user_is_staff
from registry.selectors import subjects_visible_to

from .models import Alarm, NotificationAttempt


def alarms_visible_to(user) -> QuerySet[Alarm]:
    qs = Alarm.objects.select_related("subject", "qr_code")
    if user_is_staff(user):
        return qs
    return qs.filter(subject__in=subjects_visible_to(user).values("pk"))


def attempts_for_alarm(*, alarm: Alarm) -> QuerySet[NotificationAttempt]:
    return alarm.attempts.select_related("message").order_by("created_at")


def alarm_recent_exists(*, qr_code_id: int, seconds: int) -> bool:
    """Whether this code raised an alarm in the last `seconds` (so a new report is a repeat)."""
    from datetime import timedelta

    from django.utils import timezone

    since = timezone.now() - timedelta(seconds=seconds)
    return Alarm.objects.filter(qr_code_id=qr_code_id, timestamp__gte=since).exists()


def attempts_visible_to(user) -> QuerySet[NotificationAttempt]:
    return NotificationAttempt.objects.filter(alarm__in=alarms_visible_to(user).values("pk"))


def alarm_statistics(*, alarms: QuerySet[Alarm]) -> dict:
    from django.db.models import Count

    return {
        "total": alarms.count(),
        "by_situation": dict(alarms.values_list("situation_type").annotate(n=Count("pk")).order_by()),
        "by_status": dict(alarms.values_list("notification_status").annotate(n=Count("pk")).order_by()),
    }
