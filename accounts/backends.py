"""django-axes (username + IP lockout) plus an IP-wide throttle against password spraying."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from redis.exceptions import RedisError

SPRAY_WINDOW_SECONDS = 15 * 60


def spray_key(ip: str) -> str:
    return f"keryu:login-fail-ip:{ip}"


def ip_failure_count(ip: str) -> int:
    return int(cache.get(spray_key(ip), 0))


def ip_failure_add(ip: str) -> None:
    key = spray_key(ip)
    if cache.add(key, 1, SPRAY_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, SPRAY_WINDOW_SECONDS)
    except (RedisError, OSError):
        pass  # the cache is down (core.cache): nothing to count with, and the sign-in page must still answer


class LoginProtectionBackend(AxesStandaloneBackend):
    """Off with AXES_ENABLED (so test clients may `login()` without a request); otherwise axes, then the IP."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            return None
        if request is not None:
            ip = get_client_ip_address(request)
            if ip and ip_failure_count(ip) >= settings.KERYU_LOGIN_IP_FAILURE_LIMIT:
                raise PermissionDenied("Too many failed logins from this address.")
        return super().authenticate(request, username=username, password=password, **kwargs)
