"""The alarm filters, defined once.

`AlarmFilter` is what every alarm list is narrowed by: status, situation, subject, resolved. The API's list
subclasses it (api.filters adds its time range and `is_test`). `AlarmListFilter` adds the admin list's day
range and subject-name search; the Wagtail list (alerts.viewsets, which only labels and lays out its form),
its export buttons and its statistics (alerts.selectors.alarms_filtered) all filter through it, so a button
carries exactly the rows the list shows, and the API answers the same rows for the same shared query.

No labels on the shared filters: the API's OpenAPI schema would take them as descriptions.
"""

from __future__ import annotations

import django_filters as df
from django.utils.translation import gettext_lazy as _

from core.filters import id_filter

from .models import Alarm, NotificationStatus, SituationType


class AlarmFilter(df.FilterSet):
    notification_status = df.ChoiceFilter(choices=NotificationStatus.choices)
    situation_type = df.ChoiceFilter(choices=SituationType.choices)
    subject = id_filter("subject_id")
    resolved = df.BooleanFilter(field_name="resolved_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alarm
        fields: list[str] = []


class AlarmListFilter(AlarmFilter):
    subject_name = df.CharFilter(field_name="subject__name", lookup_expr="icontains", label=_("Subject name contains"))
    date_from = df.DateFilter(field_name="timestamp", lookup_expr="date__gte", label=_("From"))
    date_to = df.DateFilter(field_name="timestamp", lookup_expr="date__lte", label=_("To"))
