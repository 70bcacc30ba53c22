"""Wagtail home-page panels: for staff, the alarms handed to Keryu staff that nobody has acknowledged, on top;
for a custodian, the reachability drill's standing flags, so they see who Keryu cannot reach."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from wagtail.admin.ui.components import Component

from core.roles import user_is_staff

from .charts import bar_chart
from .health import readiness
from .selectors import (
    ChannelDelivery,
    alarms_failed_delivery,
    alarms_open_for_custodian,
    alarms_open_for_staff,
    alarms_unacknowledged_for_staff,
    delivery_by_channel,
    reachability_flags_standing,
)

if TYPE_CHECKING:
    from .models import Alarm, ReachabilityCheck

QUEUE_ROWS = 50


class UnacknowledgedAlarmsPanel(Component):
    name = "keryu_unacknowledged_alarms"
    order = 10  # above every other panel (registry's totals: 50; Wagtail's own: 100 and up)
    template_name = "alerts/dashboard_unacknowledged.html"

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"alarms": list(alarms_unacknowledged_for_staff()[:QUEUE_ROWS])}


class CustodianOpenAlarmsPanel(Component):
    """A custodian's console opens on their open alarms: INJURED in red, Acknowledge and Call buttons on each."""

    name = "keryu_open_alarms"
    order = 10  # first: nothing on the console matters more
    template_name = "alerts/dashboard_open_alarms.html"

    def __init__(self, alarms: list[Alarm]) -> None:
        self.alarms = alarms

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        request = (parent_context or {}).get("request")
        return {
            "alarms": self.alarms,
            "emergency_number": settings.KERYU_EMERGENCY_NUMBER,
            "request": request,
            "csrf_token": (parent_context or {}).get("csrf_token"),
        }


def duration(seconds: float | None) -> str:
    """A median time as a person reads it: "45 s", "3 min 20 s", "2 h 5 min"; "-" when there is none."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


class StaffOpenAlarmsPanel(Component):
    """Every open alarm (unacknowledged and INJURED first) and the alarms whose notifications failed."""

    name = "keryu_staff_open_alarms"
    order = 12  # right under the alarms handed to staff
    template_name = "alerts/dashboard_staff_open.html"

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "open_alarms": list(alarms_open_for_staff()[:QUEUE_ROWS]),
            "failed_alarms": list(alarms_failed_delivery()[:QUEUE_ROWS]),
        }


def _delivery_rows(rows: list[ChannelDelivery]) -> list[dict[str, Any]]:
    return [
        {
            "channel": row.channel,
            "attempts": row.attempts,
            "succeeded": row.succeeded,
            "failed": row.failed,
            "percent": row.success_percent,
            "to_delivered": duration(row.median_to_delivered),
            "to_acknowledged": duration(row.median_to_acknowledged),
        }
        for row in rows
    ]


class StaffDeliveryPanel(Component):
    """Delivery success and median times per channel, over 24 hours and over 7 days."""

    name = "keryu_staff_delivery"
    order = 20
    template_name = "alerts/dashboard_staff_delivery.html"

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        windows = []
        for hours, label in ((24, gettext("Last 24 hours")), (24 * 7, gettext("Last 7 days"))):
            rows = delivery_by_channel(hours=hours)
            windows.append(
                {
                    "hours": hours,
                    "label": label,
                    "rows": _delivery_rows(rows),
                    "chart": bar_chart([(row.channel, row.success_percent) for row in rows]),
                }
            )
        return {"windows": windows}


class StaffHealthPanel(Component):
    """The worker's and beat's heartbeats, the queue and the outbox (alerts.health, as /health/ready reports)."""

    name = "keryu_staff_health"
    order = 30
    template_name = "alerts/dashboard_staff_health.html"

    def get_context_data(self, parent_context: dict[str, Any] | None = None) -> dict[str, Any]:
        checks = readiness()
        labels = {
            "database": gettext("Database"),
            "broker": gettext("Broker (Redis)"),
            "worker": gettext("Worker"),
            "beat": gettext("Beat (scheduler)"),
            "queue": gettext("Queue"),
            "outbox": gettext("Outbox"),
        }
        return {
            "checks": [(key, labels.get(key, key), check) for key, check in checks.items()],
            "all_ok": all(check.get("ok") for check in checks.values()),
        }


def alerts_homepage_panels(request: HttpRequest, panels: list[Component]) -> None:
    if user_is_staff(request.user):
        panels.append(UnacknowledgedAlarmsPanel())
        panels.append(StaffOpenAlarmsPanel())
        panels.append(StaffDeliveryPanel())
        panels.append(StaffHealthPanel())
    elif hasattr(request.user, "custodian"):
        panels.append(CustodianOpenAlarmsPanel(list(alarms_open_for_custodian(request.user)[:QUEUE_ROWS])))


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
