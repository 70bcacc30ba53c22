"""Reads for accounts."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist
from django.db.models import QuerySet
from django.utils.text import capfirst

from core.roles import staff_users_q

from .models import StaffProfile


def activity_for(user) -> QuerySet[LogEntry]:
    """A user's own activity: audit entries they caused (never other people's)."""
    return LogEntry.objects.filter(actor=user).select_related("content_type").order_by("-timestamp")


def activity_field_labels(entry: LogEntry) -> list[str]:
    """The fields an audit entry changed, as the person reads them on forms ("Phone number"), never as column
    names ("phone_hash"). Fields nobody edits (hashes and stamps derived from another field) are left out: the
    field they come from is listed in their place when it changed."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    labels: list[str] = []
    for name in (entry.changes_dict or {}).keys():
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        if field is not None and not getattr(field, "editable", True):
            continue
        label = capfirst(str(getattr(field, "verbose_name", ""))) if field is not None else ""
        label = label or capfirst(name.replace("_", " "))
        if label not in labels:
            labels.append(label)
    return labels


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
