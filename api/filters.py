"""Filters for the API lists, mirroring the admin's. Ids filter by number, so an id the caller cannot see
simply matches nothing (rather than revealing, by a different error, that it exists)."""

from __future__ import annotations

from datetime import timedelta

import django_filters as df
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField

from alerts.models import Alarm, NotificationAttempt
from messaging.models import Message
from registry.models import QRCode, Subject

MAX_ID = 2**63 - 1  # beyond this a database integer overflows (found by schemathesis: a 500 on SQLite)


def id_filter(field_name: str) -> df.NumberFilter:
    return df.NumberFilter(field_name=field_name, min_value=0, max_value=MAX_ID, decimal_places=0)


class SaneDateTimeField(IsoDateTimeField):
    """ISO 8601 with an offset real places use (PostgreSQL refuses beyond +-15:59; found by schemathesis)."""

    def clean(self, value):
        parsed = super().clean(value)
        if parsed is not None and parsed.utcoffset() is not None and abs(parsed.utcoffset()) > timedelta(hours=14):
            raise ValidationError("The time zone offset must be within +-14:00.")
        if parsed is not None and parsed.year < 1900:
            raise ValidationError("Dates before 1900 are not valid here.")
        return parsed


class SaneDateTimeFilter(df.IsoDateTimeFilter):
    field_class = SaneDateTimeField


class SubjectFilter(df.FilterSet):
    class Meta:
        model = Subject
        fields = ["is_active", "gender"]


class QRCodeFilter(df.FilterSet):
    subject = id_filter("subject_id")

    class Meta:
        model = QRCode
        fields = ["is_active"]


class AlarmFilter(df.FilterSet):
    subject = id_filter("subject_id")
    since = SaneDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = SaneDateTimeFilter(field_name="timestamp", lookup_expr="lt")
    resolved = df.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alarm
        fields = ["situation_type", "notification_status", "is_test"]


class NotificationAttemptFilter(df.FilterSet):
    alarm = id_filter("alarm_id")

    class Meta:
        model = NotificationAttempt
        fields = ["status", "channel"]


class MessageFilter(df.FilterSet):
    class Meta:
        model = Message
        fields = ["status", "channel"]
