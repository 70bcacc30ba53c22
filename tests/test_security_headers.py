"""Security headers on every public URL, and the classification that keeps "every" true.

Each URL pattern is either listed in PUBLIC (anonymous visitors may reach it; its responses are checked
below) or must refuse an anonymous visitor (sent to a login page, or 401/403), which is checked for every
such pattern. A new pattern that is public by accident fails `test_every_non_public_pattern_refuses_...`;
a new public pattern must be added to PUBLIC with a reason, and then its responses are checked too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from wagtail.models import Page

from alerts.models import Alarm
from alerts.services import ack_token
from alerts.services import alarm_create as alarm_create_service
from home.views import progress_token
from registry.services import qr_code_deactivate, subject_photo_set
from testkit import celery_worker

from .factories import QRCodeFactory, UserFactory
from .registry.conftest import png_bytes
from .urlwalk import Route, all_routes

ROOT = Path(__file__).resolve().parent.parent

# Patterns an anonymous visitor may reach, and why. Spelled as ResolverMatch.route spells them.
PUBLIC: dict[str, str] = {
    "admin/login/": "Wagtail admin sign-in",
    "admin/password_reset/": "password reset by email (signs nobody in)",
    "admin/password_reset/done/": "password reset by email",
    "admin/password_reset/confirm/<uidb64>/<token>/": "password reset by email",
    "admin/password_reset/complete/": "password reset by email",
    "admin/jsi18n/": "the login page's translations",
    "admin/sprite/": "the login page's icons",
    "ops/login/": "ops console sign-in",
    "ops/logout/": "signs nobody in; redirects",
    "documents/(\\d+)/(.*)$": "Wagtail documents (privacy per collection)",
    "documents/authenticate_with_password/<int:restriction_id>/": "Wagtail document password form",
    "health/": "load balancer health check",
    "health/live": "liveness probe (no dependencies)",
    "health/ready": "readiness probe (load balancer)",
    "metrics": "Prometheus scrape: 404 without KERYU_METRICS_TOKEN, 401 without the bearer token",
    "webhooks/whatsapp/": "Meta webhook, authenticated by its HMAC signature",
    "webhooks/twilio/": "Twilio webhook, authenticated by its request signature",
    "accounts/signup/": "custodian sign-up",
    "accounts/signup/phone/": "sign-up phone code, bound to the sign-up session",
    "accounts/signup/done/": "sign-up status, bound to the sign-up session",
    "accounts/verify-email/<str:token>/": "the emailed verification link",
    "api/token/": "API sign-in (password and OTP)",
    "api/token/refresh/": "API token refresh",
    "api/schema/": "OpenAPI schema",
    "api/docs/": "API docs (Swagger UI)",
    "api/.*(?:/|\\.[^/]*)$": "the API's JSON 404 for unknown URLs (serves nothing, whoever asks)",
    "subjects/qr/<uuid:code>/scan/": "the spec's scan URL, redirecting to the scan page",
    r"^(scan/[0-9a-f-]{36}/(?:sent/[\w-]+/relay/)?)$": "the public scan form and the finder's relay post",
    "c/": "the badge's short code typed on the home page (rate-limited; unknown and inactive codes read the same)",
    "c/<str:code>/": "the short URL printed on the badge, opening its scan page (rate-limited)",
    "accounts/invitation/<str:token>/": "a household invitation's signed link (the invitee may have no account yet)",
    "scan-photo/<uuid:code>/": "a subject's photo, only through an active code and only if shared",
    "alerts/ack/<str:token>/": "the signed acknowledgement link in every message",
    "alerts/ack/<str:token>/photo/": "the subject's photo behind the doctor's signed link, while the alarm is open",
    "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/": "Wagtail page password",
    "_util/login/": "Wagtail page-privacy sign-in",
    "^((?:[\\w\\-]+/)*)$": "Wagtail pages: home, the scan page and its confirmation and progress routes",
}
LOGIN_PATHS = ("/admin/login/", "/ops/login/")
# URLs whose code or token is a secret: no referrer, no cache, and the scan page's strict policy.
SECRET_URL_PREFIXES = (
    "/scan/",
    "/scan-photo/",
    "/subjects/qr/",
    "/alerts/ack/",
    "/accounts/verify-email/",
    "/c/",
)
# Source expressions a policy may use: keywords, hashes/nonces, and data:/blob: (no host, no scheme-wide http:).
ALLOWED_SOURCES = re.compile(
    r"^('self'|'none'|'unsafe-inline'|'unsafe-eval'|'strict-dynamic'|'(sha256|sha384|sha512|nonce)-[^']+'|data:|blob:)$"
)
CONSOLE_PREFIXES = ("/admin/", "/ops/")


@pytest.fixture(autouse=True)
def _no_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def static_served(settings, tmp_path):
    """Tests run with DEBUG off and no collectstatic (CI has no STATIC_ROOT): WhiteNoise, set up by each new
    Client, finds the files as in development, so static responses go through the real middleware."""
    settings.WHITENOISE_USE_FINDERS = True
    settings.STATIC_ROOT = tmp_path


def routes_by_route() -> dict[str, Route]:
    return {r.route: r for r in all_routes()}


def csp(response) -> dict[str, list[str]]:
    policy = response.get("Content-Security-Policy", "")
    directives = [d.split() for d in policy.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@dataclass
class Check:
    """Problems found across many responses, reported together."""

    problems: list[str] = field(default_factory=list)

    def expect(self, ok: bool, url: str, what: str) -> None:
        if not ok:
            self.problems.append(f"{url}: {what}")

    def response(self, url: str, response) -> None:
        path = urlsplit(url).path
        html = response.get("Content-Type", "").startswith("text/html")
        self.expect(response.get("X-Content-Type-Options") == "nosniff", url, "no X-Content-Type-Options: nosniff")
        self.expect("Server" not in response and "X-Powered-By" not in response, url, "Server/X-Powered-By sent")
        referrer = response.get("Referrer-Policy", "")
        self.expect(referrer in ("no-referrer", "same-origin", "strict-origin"), url, f"Referrer-Policy {referrer!r}")
        if path.startswith(SECRET_URL_PREFIXES):
            self.expect(referrer == "no-referrer", url, "a secret URL must send Referrer-Policy: no-referrer")
        if path.startswith(settings.STATIC_URL):
            return
        self.expect("no-store" in response.get("Cache-Control", ""), url, "dynamic response without no-store")
        policy = csp(response)
        self.expect(bool(policy), url, "no Content-Security-Policy")
        for directive, sources in policy.items():
            for source in sources:
                self.expect(bool(ALLOWED_SOURCES.match(source)), url, f"CSP {directive} allows {source!r}")
        framing = policy.get("frame-ancestors") or response.get("X-Frame-Options")
        self.expect(bool(framing), url, "neither frame-ancestors nor X-Frame-Options")
        if html:
            self.expect(
                policy.get("object-src") == ["'none'"] or policy.get("default-src") == ["'none'"],
                url,
                "plugins allowed",
            )
            self.expect("base-uri" in policy, url, "no base-uri")
        if html and not path.startswith(CONSOLE_PREFIXES):
            scripts = policy.get("script-src", policy.get("default-src", []))
            self.expect(
                "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, url, f"script-src {scripts}"
            )
            self.expect(bool(scripts), url, "no script-src or default-src")

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


# --- The classification --------------------------------------------------------------------------------


def test_public_list_names_only_patterns_that_exist():
    stale = set(PUBLIC) - set(routes_by_route())
    assert not stale, f"PUBLIC names patterns that no longer exist: {sorted(stale)}"


@pytest.mark.django_db
def test_every_non_public_pattern_refuses_an_anonymous_visitor():
    """A new URL is either added to PUBLIC (and its headers are checked) or it must refuse strangers."""
    anonymous = Client()
    routes = [r for r in all_routes() if r.route not in PUBLIC]
    assert len(routes) > 500  # both consoles and the API are walked
    leaks = []
    for route in routes:
        url = route.sample()
        response = anonymous.get(url)
        location = urlsplit(response.get("Location", "")).path
        refused = response.status_code in (401, 403) or (
            response.status_code in (301, 302) and location.startswith(LOGIN_PATHS)
        )
        if not refused:
            leaks.append(f"{route.route} ({url}): {response.status_code} {location}")
    assert not leaks, "Unclassified URL patterns answer anonymous visitors; refuse them or add to PUBLIC:\n" + (
        "\n".join(leaks)
    )


# --- Headers on every public URL -----------------------------------------------------------------------


@dataclass(frozen=True)
class Req:
    url: str
    method: str = "get"
    data: dict | None = None
    headers: dict = field(default_factory=dict)


@pytest.fixture
def public_requests(alice, alice_code, bob_subject) -> list[Req]:
    """A generic sample for every PUBLIC pattern, plus the interesting cases built from real data."""
    samples = routes_by_route()
    reqs = [Req(samples[route].sample()) for route in PUBLIC]
    code = alice_code.uuid
    inactive = QRCodeFactory(subject=bob_subject)
    qr_code_deactivate(qr_code=inactive)
    alarm = alarm_create_service(qr_code=alice_code, situation_type="LOST", description="Near the fountain")
    token = progress_token(alarm_id=alarm.pk, code=code)
    subject = alice_code.subject
    subject_photo_set(subject=subject, upload=SimpleUploadedFile("s.png", png_bytes(), "image/png"))
    subject.share_photo = True
    subject.save()
    ack = ack_token(alarm.attempts.first())
    reqs += [Req(page.url) for page in Page.objects.live().public().specific() if page.url]
    reqs += [
        Req(f"/scan/{code}/"),
        Req(f"/scan/{code}/?lang=es"),
        Req(f"/scan/{inactive.uuid}/"),
        Req(f"/scan/{code}/", "post", {"situation_type": "LOST"}),
        Req(f"/scan/{code}/", "post", {"situation_type": "TEST"}),
        Req(f"/scan/{code}/", "post", {"situation_type": "LOST"}, {"HTTP_SEC_FETCH_SITE": "cross-site"}),
        Req(f"/scan/{code}/sent/{token}/"),
        Req(f"/scan/{code}/sent/{token}/status/"),
        Req(f"/scan/{code}/sent/not-a-token/"),
        Req(f"/subjects/qr/{code}/scan/"),
        Req(f"/scan-photo/{code}/"),
        Req(f"/alerts/ack/{ack}/"),
        Req(f"/alerts/ack/{ack}/", "post", {"note": "On my way"}),
        Req("/webhooks/whatsapp/?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1"),
        Req("/webhooks/whatsapp/", "post", {"x": "1"}),
        Req("/webhooks/twilio/", "post", {"MessageSid": "SM1", "MessageStatus": "delivered"}),
        Req("/accounts/signup/", "post", {"email": "not-an-email"}),
        Req("/api/token/", "post", {"username": "alice", "password": "wrong"}),
        Req("/api/token/refresh/", "post", {"refresh": "not-a-token"}),
        Req("/api/docs/?script="),
        Req("/no-such-page/"),
        Req("/static/home/keryu.css"),
        Req("/static/home/scan.js"),
        Req("/media/registry/photos/anything.png"),
    ]
    return reqs


def test_every_public_url_sends_the_security_headers(public_requests, static_served):
    client = Client()
    check = Check()
    seen: list[tuple[str, str, int]] = []
    for req in public_requests:
        response = getattr(client, req.method)(req.url, req.data, **req.headers)
        seen.append((req.method, req.url, response.status_code))
        check.response(req.url, response)
    check.assert_clean()

    # The cases are what they claim to be (a 404 where a 200 was meant would prove little).
    def statuses(method: str, pattern: str) -> list[int]:
        return [status for m, url, status in seen if m == method and re.fullmatch(pattern, url)]

    uuid_re = "[0-9a-f-]{36}"
    assert sorted(statuses("get", f"/scan/{uuid_re}/")) == [200, 404, 404]  # valid, inactive, unknown
    assert sorted(statuses("post", f"/scan/{uuid_re}/")) == [302, 400, 403]  # sent, invalid, cross-site
    assert statuses("get", f"/scan/{uuid_re}/sent/.+") == [200, 200, 404]  # confirmation, progress, forged
    assert 200 in statuses("get", f"/scan-photo/{uuid_re}/") and statuses("get", "/") == [200]
    assert set(statuses("get", "/alerts/ack/.{20,}/") + statuses("post", "/alerts/ack/.{20,}/")) == {200}
    assert statuses("get", "/no-such-page/") == [404] and statuses("get", "/media/.+") == [404]
    assert statuses("get", "/static/.+") == [200, 200]


def test_scan_pages_have_the_strictest_policy(client, alice_code):
    response = client.get(f"/scan/{alice_code.uuid}/")
    policy = csp(response)
    assert policy["default-src"] == ["'none'"] and policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
    assert "<script>" not in response.content.decode() and " style=" not in response.content.decode()


def test_scan_error_pages_keep_the_scan_hardening(client, alice_code):
    """A bad progress token is a 404 from Django's handler, not from the page: it still hides the code."""
    for url in (f"/scan/{alice_code.uuid}/sent/forged/", f"/scan/{alice_code.uuid}/sent/forged/status/", "/scan/"):
        response = client.get(url)
        assert response.status_code == 404
        assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
        assert csp(response)["default-src"] == ["'none'"]


def test_a_view_that_sets_its_own_cache_policy_keeps_it(client, static_served):
    """Static files keep WhiteNoise's caching; the default no-store is only for what says nothing."""
    response = client.get("/static/home/keryu.css")
    assert response.status_code == 200 and "no-store" not in response["Cache-Control"]


def test_scan_form_posted_from_another_site_is_refused(client, alice_code):
    url = f"/scan/{alice_code.uuid}/"
    refused = client.post(url, {"situation_type": "LOST"}, HTTP_SEC_FETCH_SITE="cross-site")
    sibling = client.post(url, {"situation_type": "LOST"}, HTTP_SEC_FETCH_SITE="same-site")
    assert refused.status_code == sibling.status_code == 403
    assert not Alarm.objects.filter(qr_code=alice_code).exists()
    assert client.post(url, {"situation_type": "LOST"}, HTTP_SEC_FETCH_SITE="same-origin").status_code == 302
    assert client.post(url, {"situation_type": "LOST"}, HTTP_ORIGIN="null").status_code == 302  # no header: an app


# --- Personal pages behind a login ------------------------------------------------------------------------


# Tags that load something into the page (links to Wagtail's guide are fine; loading from it is not).
REMOTE_RESOURCE = re.compile(
    r'<(?:script|img|iframe|source|link|embed|object)\b[^>]*\b(?:src|href|data)="(?:https?:)?//'
)


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("staff", "/admin/"),
        ("staff", "/admin/snippets/registry/subject/"),
        ("staff", "/admin/snippets/alerts/alarm/"),
        ("staff", "/admin/alerts/statistics/"),
        ("staff", "/ops/"),
        ("staff", "/ops/registry/subject/"),
        ("alice", "/admin/"),
        ("alice", "/admin/profile/"),
        ("alice", "/admin/snippets/registry/subject/"),
        ("alice", "/accounts/mfa/enrol/"),
    ],
)
def test_signed_in_pages_are_not_stored_and_load_nothing_from_elsewhere(client, request, alice_code, who, url):
    user = request.getfixturevalue(who)
    if who == "staff":
        user.is_superuser = True
        user.save()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    check = Check()
    check.response(url, response)
    check.assert_clean()
    assert REMOTE_RESOURCE.search(response.content.decode()) is None, "a resource loaded from another host"


def test_api_answers_are_not_stored(token_for, alice, alice_code):
    response = token_for(alice).get("/api/subjects/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert csp(response)["default-src"] == ["'self'"]


@pytest.fixture
def token_for(db):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
        return api

    return make


# --- Production settings (DEBUG off), in a child process ---------------------------------------------------


def _production_env(**extra: str) -> dict[str, str]:
    from keryu_site.celery import app as celery_app

    broker = celery_app.conf.broker_url
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "keryu_site.settings.test",
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": "probe-" + "k" * 50,
        "KERYU_PHONE_HASH_KEY": "probe-phone-hash-key",
        "KERYU_FIELD_ENCRYPTION_KEYS": ",".join(settings.KERYU_FIELD_ENCRYPTION_KEYS),
        "DATABASE_URL": celery_worker.test_database_url(),
        "CELERY_BROKER_URL": "memory://" if broker.startswith("filesystem") else broker,
        "ALLOWED_HOSTS": "keryu.example",
        **extra,
    }


@pytest.mark.django_db(transaction=True)
def test_production_settings_send_hsts_redirect_to_https_and_set_only_secure_cookies(tmp_path):
    staff = UserFactory(username="probe-staff", is_staff=True)
    staff.set_password("probe-correct-horse-battery")
    staff.save()
    code = QRCodeFactory().uuid
    env = _production_env(
        KERYU_VAR_DIR=str(tmp_path),
        PROBE_CODE=str(code),
        PROBE_USERNAME="probe-staff",
        PROBE_PASSWORD="probe-correct-horse-battery",
    )
    run = subprocess.run(
        [sys.executable, "-m", "tests.security_probe"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = {r["name"]: r for r in json.loads(run.stdout)}
    plain = results["http-login"]
    assert plain["status"] == 301 and plain["headers"]["Location"] == "https://keryu.example/admin/login/"
    for name in ("login-page", "login", "scan-lang", "health"):
        hsts = results[name]["headers"].get("Strict-Transport-Security", "")
        assert re.match(r"max-age=(\d+)", hsts) and int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 31536000, name
        assert "includeSubDomains" in hsts, name
    assert results["login"]["status"] == 302, results["login"]
    cookies = {key: flags for r in results.values() for key, flags in r["cookies"].items()}
    assert {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME} <= set(cookies)
    assert all(flags["secure"] for flags in cookies.values()), cookies
    assert cookies[settings.SESSION_COOKIE_NAME]["httponly"] and cookies[settings.SESSION_COOKIE_NAME]["samesite"]


# --- On the wire: what gunicorn adds --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_web_server_names_no_version_and_adds_no_powered_by(tmp_path):
    from testkit.procs import running_web

    with running_web({"KERYU_VAR_DIR": str(tmp_path)}) as base:
        for path in ("/", "/health/", "/static/home/keryu.css", "/no-such-page/"):
            response = requests.get(base + path, timeout=10)
            assert "X-Powered-By" not in response.headers, path
            # gunicorn always sends `Server: gunicorn`; it must not say which version.
            assert not re.search(r"\d", response.headers.get("Server", "")), response.headers.get("Server")
            assert response.headers.get("X-Content-Type-Options") == "nosniff", path
