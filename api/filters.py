"""Filters for the API lists. The alarm list's are alerts.filters' (the admin list's too), with the API's own
time range. Ids filter by number (core.filters.id_filter), so an id the caller cannot see simply matches
nothing (rather than revealing, by a different error, that it exists)."""

from __future__ import annotations

from datetime import timedelta

import django_filters as df
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField

from alerts import filters as alarm_filters
from alerts.models import NotificationAttempt
from core.filters import id_filter
from messaging.models import Message
from registry.models import QRCode, Subject


class SaneDateTimeField(IsoDateTimeField):
    """ISO 8601 with an offset real places use (PostgreSQL refuses beyond +-15:59; found by schemathesis)."""

    def clean(self, value):
        parsed = super().clean(value)
        if parsed is not None and parsed.utcoffset() is not None and abs(parsed.utcoffset()) > timedelta(hours=14):
            raise ValidationError(_("The time zone offset must be within +-14:00."))
        if parsed is not None and parsed.year < 1900:
            raise ValidationError(_("Dates before 1900 are not valid here."))
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


class AlarmFilter(alarm_filters.AlarmFilter):
    """Status, situation, subject and resolved as the admin list has them; a time range to the second."""

    since = SaneDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = SaneDateTimeFilter(field_name="timestamp", lookup_expr="lt")

    class Meta(alarm_filters.AlarmFilter.Meta):
        fields = ["is_test"]


class NotificationAttemptFilter(df.FilterSet):
    alarm = id_filter("alarm_id")

    class Meta:
        model = NotificationAttempt
        fields = ["status", "channel"]


class MessageFilter(df.FilterSet):
    class Meta:
        model = Message
        fields = ["status", "channel"]
