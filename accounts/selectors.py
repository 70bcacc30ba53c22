"""Reads for accounts."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.db.models import QuerySet


def activity_for(user) -> QuerySet[LogEntry]:
    """A user's own activity: audit entries they caused (never other people's)."""
    return LogEntry.objects.filter(actor=user).select_related("content_type").order_by("-timestamp")
