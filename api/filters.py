"""Filters for the API lists, mirroring the admin's. Ids filter by number, so an id the caller cannot see
simply matches nothing (rather than revealing, by a different error, that it exists)."""

from __future__ import annotations

import django_filters as df

from alerts.models import Alarm, NotificationAttempt
from messaging.models import Message
from registry.models import QRCode, Subject


class SubjectFilter(df.FilterSet):
    class Meta:
        model = Subject
        fields = ["is_active", "gender"]


class QRCodeFilter(df.FilterSet):
    subject = df.NumberFilter(field_name="subject_id")

    class Meta:
        model = QRCode
        fields = ["is_active"]


class AlarmFilter(df.FilterSet):
    subject = df.NumberFilter(field_name="subject_id")
    since = df.IsoDateTimeFilter(field_name="timestamp", lookup_expr="gte")
    until = df.IsoDateTimeFilter(field_name="timestamp", lookup_expr="lt")
    resolved = df.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alarm
        fields = ["situation_type", "notification_status", "is_test"]


class NotificationAttemptFilter(df.FilterSet):
    alarm = df.NumberFilter(field_name="alarm_id")

    class Meta:
        model = NotificationAttempt
        fields = ["status", "channel"]


class MessageFilter(df.FilterSet):
    class Meta:
        model = Message
        fields = ["status", "channel"]
