"""Reads for accounts."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db.models import QuerySet

from core.roles import staff_users_q

from .models import StaffProfile


def activity_for(user) -> QuerySet[LogEntry]:
    """A user's own activity: audit entries they caused (never other people's)."""
    return LogEntry.objects.filter(actor=user).select_related("content_type").order_by("-timestamp")


def security_events_since(*, since) -> dict[str, int]:
    """Lockouts and refused object accesses since `since`, for the watchdog (alerts.services.watchdog).

    A lockout is an axes record (username and IP) whose failures reached AXES_FAILURE_LIMIT, counted by its
    last failure; a refused access is a SecurityEvent that core.scoping's guard caused.
    """
    from axes.models import AccessAttempt
    from django.conf import settings

    from .models import SecurityEvent

    return {
        "lockouts": AccessAttempt.objects.filter(
            attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
        ).count(),
        "access_refused": SecurityEvent.objects.filter(
            kind=SecurityEvent.Kind.ACCESS_REFUSED, created_at__gte=since
        ).count(),
    }


def staff_on_call() -> QuerySet[User]:
    """Active staff flagged on call, with their profile (accounts.StaffProfile): who is told at once when an
    alarm nobody acknowledged is handed to Keryu staff."""
    on_call = StaffProfile.objects.filter(on_call=True).values("user_id")
    return (
        User.objects.filter(staff_users_q(), is_active=True, pk__in=on_call).select_related("staff_profile").distinct()
    )


def staff_with_email() -> QuerySet[User]:
    """Active staff with an email address (the mail every staff alert also goes to)."""
    return User.objects.filter(staff_users_q(), is_active=True).exclude(email="").distinct()
