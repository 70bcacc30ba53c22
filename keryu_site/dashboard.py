"""The /ops/ (Unfold) dashboard callback: staff's queue of unacknowledged alarms above the app list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from alerts.selectors import alarms_unacknowledged_for_staff
from core.roles import user_is_staff

QUEUE_ROWS = 50


def ops_dashboard(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    if user_is_staff(request.user):
        context["unacknowledged_alarms"] = list(alarms_unacknowledged_for_staff()[:QUEUE_ROWS])
    return context
