"""One clock: every time shown to a person is in the viewer's time zone.

The custodian's own zone when their profile has one (a `time_zone` field on the custodian), else the site's
(settings.TIME_ZONE). Activated per request, so templates, `timezone.localtime()` and exports all agree.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone


def viewer_time_zone(user: object) -> zoneinfo.ZoneInfo | None:
    """The zone the user's profile names, or None for the site's default (unknown names are ignored)."""
    custodian = getattr(user, "custodian", None) if getattr(user, "is_authenticated", False) else None
    name = getattr(custodian, "time_zone", "") or ""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = viewer_time_zone(request.user)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
