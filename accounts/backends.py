"""django-axes (username + IP lockout) plus an IP-wide throttle against password spraying."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.core.exceptions import PermissionDenied

from core.clientip import client_ip
from core.ratelimit import counter_add, counter_value

SPRAY_WINDOW_SECONDS = 15 * 60


def spray_key(ip: str) -> str:
    return f"keryu:login-fail-ip:{ip}"


def ip_failure_count(ip: str) -> int:
    return counter_value(key=spray_key(ip))


def ip_failure_add(ip: str) -> None:
    """Failures from `ip` within SPRAY_WINDOW_SECONDS of its first; a cache that is down counts nothing (and the
    sign-in page still answers)."""
    counter_add(key=spray_key(ip), seconds=SPRAY_WINDOW_SECONDS)


class LoginProtectionBackend(AxesStandaloneBackend):
    """Off with AXES_ENABLED (so test clients may `login()` without a request); otherwise axes, then the IP."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            return None
        if request is not None:
            ip = client_ip(request)
            if ip and ip_failure_count(ip) >= settings.KERYU_LOGIN_IP_FAILURE_LIMIT:
                raise PermissionDenied("Too many failed logins from this address.")
        return super().authenticate(request, username=username, password=password, **kwargs)
