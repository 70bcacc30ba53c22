"""Wagtail home-page panels: a custodian's own subjects, or staff totals."""

from __future__ import annotations

from wagtail.admin.ui.components import Component

from core.roles import user_is_staff

from .selectors import dashboard_custodian, dashboard_staff_totals


class CustodianSubjectsPanel(Component):
    name = "keryu_custodian_subjects"
    order = 50
    template_name = "registry/dashboard_custodian.html"

    def __init__(self, user) -> None:
        self.user = user

    def get_context_data(self, parent_context=None):
        parent_context = parent_context or {}
        # The panel renders in its own context: its Generate buttons need the page's CSRF token.
        return {"rows": dashboard_custodian(self.user), "csrf_token": parent_context.get("csrf_token")}


class StaffTotalsPanel(Component):
    name = "keryu_staff_totals"
    order = 50
    template_name = "registry/dashboard_staff.html"

    def get_context_data(self, parent_context=None):
        return {"totals": dashboard_staff_totals()}


def registry_homepage_panels(request, panels: list) -> None:
    if user_is_staff(request.user):
        panels.append(StaffTotalsPanel())
    elif hasattr(request.user, "custodian"):
        panels.append(CustodianSubjectsPanel(request.user))
