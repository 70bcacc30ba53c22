"""Wagtail home-page panel for staff: the alarms handed to Keryu staff that nobody has acknowledged, on top."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from wagtail.admin.ui.components import Component

from core.roles import user_is_staff

from .selectors import alarms_unacknowledged_for_staff

QUEUE_ROWS = 50


class UnacknowledgedAlarmsPanel(Component):
    name = "keryu_unacknowledged_alarms"
    order = 10  # above every other panel (registry's totals: 50; Wagtail's own: 100 and up)
    template_name = "alerts/dashboard_unacknowledged.html"

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"alarms": list(alarms_unacknowledged_for_staff()[:QUEUE_ROWS])}


def alerts_homepage_panels(request: HttpRequest, panels: list[Component]) -> None:
    if user_is_staff(request.user):
        panels.append(UnacknowledgedAlarmsPanel())
