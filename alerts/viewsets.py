"""Wagtail admin screens for alarms, scoped to the custodian's own subjects."""

from __future__ import annotations

from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import InspectView

from keryu_site.scoping import ScopedSnippetViewSet

from .models import Alarm
from .selectors import alarms_visible_to, attempts_for_alarm


class AlarmInspectView(InspectView):
    template_name = "alerts/alarm_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["attempts"] = attempts_for_alarm(alarm=self.object)
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
    ]
    list_filter = ["situation_type", "notification_status", "is_test"]
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
        "notification_status",
        "notification_attempts",
        "last_attempt",
        "resolved_at",
        "resolution_notes",
    ]

    def scope(self, request):
        return alarms_visible_to(request.user)
