"""Wagtail home-page panel: the reachability drill's standing flags, so a custodian sees who Keryu cannot reach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wagtail.admin.ui.components import Component

from .selectors import reachability_flags_standing

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import ReachabilityCheck


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
