"""Reads for alerts."""

from __future__ import annotations

from django.db.models import QuerySet

from keryu_site.roles import user_is_staff
from registry.selectors import subjects_visible_to

from .models import Alarm, NotificationAttempt, NotificationStatus


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


def alarm_public_progress(*, alarm: Alarm) -> dict:
    """What the finder may see about their report: how far it got, never who was contacted or how."""
    attempts = list(alarm.attempts.select_related("message"))
    delivered = any(a.status in (NotificationStatus.DELIVERED, NotificationStatus.READ) for a in attempts) or any(
        a.message and a.message.status in ("delivered", "read") for a in attempts
    )
    notified = delivered or any(a.status == NotificationStatus.SENT for a in attempts)
    return {"notified": notified, "delivered": delivered, "acknowledged": False, "note": ""}
