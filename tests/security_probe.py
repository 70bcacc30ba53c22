"""Run by tests/test_security_headers.py as a child process with DEBUG off.

The production branch of the settings (HSTS, the HTTPS redirect, Secure cookies) is decided when
settings are imported, so it cannot be switched on inside the test process. This process imports them
with DEBUG=false, sends a few requests through the whole middleware stack and prints what came back as
JSON: status, headers and the flags of every cookie set.

Environment: PROBE_CODE (an active QR code's uuid), PROBE_USERNAME / PROBE_PASSWORD (a staff login).
"""

from __future__ import annotations

import json
import os
import sys

import django


def _describe(name: str, response) -> dict:
    return {
        "name": name,
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {
            key: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
            for key, m in response.cookies.items()
        },
    }


def main() -> None:
    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    assert not settings.DEBUG, "the probe must run with DEBUG=false"
    host = settings.ALLOWED_HOSTS[0]
    code = os.environ["PROBE_CODE"]
    # The manifest storage needs collectstatic first; which storage names the files is not what is probed.
    plain_static = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    results = []
    with override_settings(STORAGES=plain_static):
        web = Client(HTTP_HOST=host)
        results.append(_describe("http-login", web.get("/admin/login/")))
        tls = Client(HTTP_HOST=host)
        results.append(_describe("login-page", tls.get("/admin/login/", secure=True)))
        credentials = {"username": os.environ["PROBE_USERNAME"], "password": os.environ["PROBE_PASSWORD"]}
        results.append(_describe("login", tls.post("/ops/login/", credentials, secure=True)))
        results.append(_describe("scan-lang", tls.get(f"/scan/{code}/?lang=es", secure=True)))
        results.append(_describe("health", tls.get("/health/", secure=True)))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
