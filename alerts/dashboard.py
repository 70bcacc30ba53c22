"""Wagtail home-page panels: for staff, the alarms handed to Keryu staff that nobody has acknowledged, on top;
for a custodian, the reachability drill's standing flags, so they see who Keryu cannot reach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from wagtail.admin.ui.components import Component

from core.roles import user_is_staff

from .selectors import alarms_unacknowledged_for_staff, reachability_flags_standing

if TYPE_CHECKING:
    from .models import ReachabilityCheck

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


class ReachabilityFlagsPanel(Component):
    name = "keryu_reachability_flags"
    order = 40  # above the custodian's people: it asks them to act
    template_name = "alerts/dashboard_reachability_flags.html"

    def __init__(self, flags: list[ReachabilityCheck]) -> None:
        self.flags = flags

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"flags": self.flags}


def reachability_homepage_panels(request: HttpRequest, panels: list[Component]) -> None:
    """Shown only while a flag stands: the notice goes away once everyone answered."""
    flags = reachability_flags_standing(request.user)
    if flags:
        panels.append(ReachabilityFlagsPanel(flags))
