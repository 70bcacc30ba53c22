"""The Wagtail admin at 100,000 alarms: the alarm list and the dashboard, as staff signed in with a second factor.

Latency through gunicorn with a real session (password, then a static OTP token); database queries per
page counted in this process with CaptureQueriesContext at several page sizes, which must not change them.
"""

from __future__ import annotations

import re
import time

import requests
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from alerts.models import Alarm
from registry.models import Subject

from ..context import Context, Outcome
from ..seed import STAFF_PASSWORD, STAFF_USERNAME
from ..stats import Table, Target, summary_ms

ALARM_LIST = "/admin/snippets/alerts/alarm/"
DASHBOARD = "/admin/"
PAGES = {"alarm list": ALARM_LIST, "dashboard": DASHBOARD}
REQUESTS = 40
PAGE_SECONDS = 60  # and at most this long per page: a slow page ends its loop early
PAGE_SIZES = [20, 50, 100]
TARGET_MS = 300


def _csrf(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not match:
        raise RuntimeError("no CSRF token in the page")
    return match.group(1)


def staff_session(base: str, staff_id: int) -> requests.Session:
    """Sign in the way staff do: the login form, then the MFA form with a one-time static token."""
    device, _ = StaticDevice.objects.get_or_create(user_id=staff_id, name="bench backup codes")
    token = f"b{time.time_ns() % 10**8:08d}"
    device.token_set.create(token=token)
    session = requests.Session()
    page = session.get(f"{base}/admin/login/", timeout=30)
    page = session.post(
        f"{base}/admin/login/",
        data={"username": STAFF_USERNAME, "password": STAFF_PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
        timeout=30,
    )
    if "/mfa/verify/" not in page.url:
        raise RuntimeError(f"login did not lead to the second factor (at {page.url})")
    page = session.post(page.url, data={"code": token, "csrfmiddlewaretoken": _csrf(page.text)}, timeout=30)
    if page.status_code != 200 or not page.url.rstrip("/").endswith("/admin"):
        raise RuntimeError(f"second factor refused (at {page.url}, {page.status_code})")
    return session


def _verified_client(staff_id: int) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(pk=staff_id)
    client.force_login(user)
    device, _ = StaticDevice.objects.get_or_create(user=user, name="bench session", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return len(captured.captured_queries)


def _set_page_size(size: int) -> None:
    """The alarm list's page size (the viewset's list_per_page), changed on the live view."""
    resolve(ALARM_LIST).func.view_initkwargs["paginate_by"] = size


def run(ctx: Context) -> Outcome:
    base = ctx.stack.base_url
    alarms, subjects = Alarm.objects.count(), Subject.objects.count()
    session = staff_session(base, ctx.seeded.staff_id)
    latency = Table(
        f"Admin pages as staff, {alarms:,} alarms and {subjects:,} subjects (sequential requests)",
        ["page", "requests", "p50 ms", "p95 ms", "max ms", "bytes"],
    )
    p95: dict[str, float] = {}
    for label, path in PAGES.items():
        for _ in range(3):  # warm up
            session.get(base + path, timeout=60)
        timings, size = [], 0
        deadline = time.monotonic() + PAGE_SECONDS
        while len(timings) < REQUESTS and time.monotonic() < deadline:
            started = time.perf_counter()
            response = session.get(base + path, timeout=60)
            timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            size = len(response.content)
        s = summary_ms(timings)
        p95[label] = s["p95"]
        latency.add(label, len(timings), s["p50"], s["p95"], s["max"], size)

    queries = Table(
        "Database queries per admin page (in process, CaptureQueriesContext)", ["page", *map(str, PAGE_SIZES)]
    )
    client = _verified_client(ctx.seeded.staff_id)
    original = resolve(ALARM_LIST).func.view_initkwargs["paginate_by"]
    counts = []
    try:
        for size in PAGE_SIZES:
            _set_page_size(size)
            client.get(ALARM_LIST)
            counts.append(_queries(client, ALARM_LIST))
    finally:
        _set_page_size(original)
    queries.add("alarm list, by page size", *counts)
    client.get(DASHBOARD)
    dash = _queries(client, DASHBOARD)
    queries.add("dashboard (no page size)", dash, "", "")
    constant = len(set(counts)) == 1

    targets = [
        Target(
            f"admin {label} p95 @{alarms:,} alarms", f"< {TARGET_MS} ms", f"{p95[label]:.0f} ms", p95[label] < TARGET_MS
        )
        for label in PAGES
    ]
    targets.append(Target("alarm list queries vs page size", "constant", " / ".join(map(str, counts)), constant))
    return Outcome(tables=[latency, queries], targets=targets)
