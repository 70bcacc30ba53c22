"""Wagtail admin screens for alarms (scoped to the custodian's own subjects) and the escalation policy.

Scoping and append-only come from core.scoping and the registrations in alerts.apps: an alarm is
inspected, resolved through its own action, annotated by staff; never added, edited or deleted here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import django_filters
from django.urls import reverse
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import IndexView, InspectView

from core.roles import user_is_staff
from core.scoping import ScopedSnippetViewSet, SharedSnippetViewSet
from registry.selectors import subjects_visible_to

from .models import Alarm, EscalationPolicy, NotificationStatus, ReachabilityCheck, SituationType
from .selectors import alarm_note_entries, alarm_timeline, attempts_for_alarm

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest

    from registry.models import Subject

# Above this many subjects in scope the subject drop-down gives way to a name search: rendering 17,000
# options (each subject loaded and decrypted) took ~10 s per page for staff (docs/benchmarks.md).
SUBJECT_CHOICES_MAX = 200


def _subjects(request: HttpRequest | None) -> QuerySet[Subject]:
    return subjects_visible_to(request.user) if request else subjects_visible_to(None)


class AlarmFilterSet(WagtailFilterSet):
    notification_status = django_filters.ChoiceFilter(choices=NotificationStatus.choices, label="Status")
    situation_type = django_filters.ChoiceFilter(choices=SituationType.choices, label="Situation")
    subject = django_filters.ModelChoiceFilter(queryset=_subjects, label="Subject")
    subject_name = django_filters.CharFilter(
        field_name="subject__name", lookup_expr="icontains", label="Subject name contains"
    )
    date_from = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__gte", label="From")
    date_to = django_filters.DateFilter(field_name="timestamp", lookup_expr="date__lte", label="To")
    resolved = django_filters.BooleanFilter(
        field_name="resolved_at", lookup_expr="isnull", exclude=True, label="Resolved"
    )

    class Meta:
        model = Alarm
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        many = _subjects(self.request).count() > SUBJECT_CHOICES_MAX
        # A few subjects (a custodian): pick one from a list. Many (staff): search by name.
        del self.filters["subject_name" if not many else "subject"]


class AlarmIndexView(IndexView):
    @property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        query = self.request.GET.urlencode()
        for fmt, label in (("csv", "Export CSV"), ("xlsx", "Export Excel"), ("pdf", "Export PDF")):
            url = reverse("alerts_export", kwargs={"fmt": fmt}) + (f"?{query}" if query else "")
            buttons.append(Button(label, url=url, icon_name="download"))
        stats = reverse("alerts_statistics") + (f"?{query}" if query else "")
        buttons.append(Button("Statistics", url=stats, icon_name="table"))
        return buttons


class AlarmInspectView(InspectView):
    template_name = "alerts/alarm_inspect.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context["attempts"] = attempts_for_alarm(alarm=self.object)
        timeline = alarm_timeline(alarm=self.object) + alarm_note_entries(alarm=self.object)
        context["timeline"] = sorted(timeline, key=lambda entry: entry.at)
        context["can_add_note"] = user_is_staff(self.request.user)
        context["has_failed"] = self.object.attempts.filter(
            status__in=[NotificationStatus.FAILED, NotificationStatus.ERROR, NotificationStatus.UNDELIVERED]
        ).exists()
        return context


class AlarmViewSet(ScopedSnippetViewSet):
    model = Alarm
    icon = "warning"
    menu_label = "Alarms"
    menu_order = 90
    add_to_admin_menu = True
    list_display = [
        "__str__",
        "situation_type",
        "subject",
        Column("timestamp", sort_key="timestamp"),
        "notification_status",
        "acknowledged_at",
        "resolved_at",
    ]
    filterset_class = AlarmFilterSet
    index_view_class = AlarmIndexView
    inspect_view_enabled = True
    inspect_view_class = AlarmInspectView
    inspect_view_fields = [
        "subject",
        "situation_type",
        "timestamp",
        "location",
        "latitude",
        "longitude",
        "description",
        "source",
        "finder_name",
        "finder_phone",
        "report_count",
        "notification_status",
        "notification_attempts",
        "last_attempt",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledgement_note",
        "resolved_at",
        "resolution_notes",
    ]


class EscalationPolicyViewSet(SharedSnippetViewSet):
    """Staff only (model permissions): custodians hold no permission on it."""

    model = EscalationPolicy
    icon = "cog"
    menu_label = "Escalation policy"
    menu_order = 91
    add_to_admin_menu = True
    list_display = [
        "situation_type",
        "contacts_at_once",
        "notify_doctor",
        "contact_delay_seconds",
        "ack_timeout_seconds",
    ]
    panels = [
        FieldPanel("situation_type"),
        FieldPanel("notify_contacts"),
        FieldPanel("contacts_at_once"),
        FieldPanel("notify_doctor"),
        FieldPanel("contact_delay_seconds"),
        FieldPanel("ack_timeout_seconds"),
        FieldPanel("max_depth"),
        FieldPanel("whatsapp_delivery_timeout_seconds"),
    ]


class ReachabilityCheckViewSet(ScopedSnippetViewSet):
    model = ReachabilityCheck
    icon = "warning"
    menu_label = "Contact checks"
    menu_order = 92
    add_to_admin_menu = True
    list_display = ["contact", "channel", "status", "flagged", "reason", "created_at"]
    list_filter = ["flagged", "status"]
    inspect_view_enabled = True
