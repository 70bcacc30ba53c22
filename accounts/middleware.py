"""Second factor on both consoles, and the idle timeout.

wagtail-2fa does not run on Wagtail 8, so this is our own enforcement on top of django-otp's
OTPMiddleware (which must come first: it sets `request.user.is_verified`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import translation
from django_otp import user_has_device

from core.clientip import client_ip

PROTECTED_PREFIXES = ("/admin/", "/ops/")
# Reachable with a password-only session: signing in and out, and resetting a password by email
# (which logs nobody in, so it does not bypass MFA).
EXEMPT_PREFIXES = (
    "/admin/login/",
    "/admin/logout/",
    "/admin/password_reset/",
    "/ops/login/",
    "/ops/logout/",
    "/ops/password_reset/",
    "/admin/jsi18n/",
)


class MFARequiredMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and path.startswith(PROTECTED_PREFIXES)
            and not path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()
        ):
            name = "accounts:mfa_verify" if user_has_device(user) else "accounts:mfa_enrol"
            return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """Sign a user out after KERYU_SESSION_IDLE_MINUTES without a request.

    The time of the last request is written to the session at most once a minute (TOUCH_SECONDS): writing it on
    every request saved the session row on every page view, an UPDATE per request (docs/testing.md). The cost is
    that a sign-out can come up to a minute before the idle limit is quite reached."""

    SESSION_KEY = "_keryu_last_seen"
    TOUCH_SECONDS = 60

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.SESSION_KEY)
            if last is not None and now - int(last) > settings.KERYU_SESSION_IDLE_MINUTES * 60:
                logout(request)
                return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}")
            if last is None or now - int(last) >= self.TOUCH_SECONDS:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, but the IP is core.clientip's (as for axes and every other reader), never
    auditlog's own reading of X-Forwarded-For: a forged header must not put someone else's address into the
    audit log."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)


class CustodianLanguageMiddleware:
    """A custodian's pages speak the language of their profile (Custodian.language), whatever the browser
    says; everyone else gets the browser's (Django's LocaleMiddleware, which runs first). Wagtail's admin
    follows too: without a language set in its own account settings it uses the active one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        custodian = getattr(user, "custodian", None) if user is not None and user.is_authenticated else None
        if custodian is not None and custodian.language:
            translation.activate(custodian.language)
            request.LANGUAGE_CODE = custodian.language
        return self.get_response(request)
