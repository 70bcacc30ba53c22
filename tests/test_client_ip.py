"""One reading of the client's address (core.clientip) behind 0, 1 or N proxies, and every reader uses it:
scan rate limits, sign-in lockout and security events, the audit log, the API's anonymous throttle."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from accounts.models import SecurityEvent
from core.clientip import client_ip

from .factories import PASSWORD

PROXY = "10.9.0.1"  # the last proxy: the web process's peer


def _ip(proxies: int, forwarded: str | None, remote: str = PROXY) -> str | None:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(KERYU_TRUSTED_PROXY_COUNT=proxies):
        return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        # No proxy: the socket's address; a client-sent header is never read.
        (0, None, PROXY),
        (0, "203.0.113.9", PROXY),
        # One proxy: the address it appended, the last entry; what the client wrote to its left is ignored.
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66,203.0.113.9", "203.0.113.9"),
        # Two proxies: the first appended the client, the second the first; the client is second from the right.
        (2, "203.0.113.9, 10.9.0.2", "203.0.113.9"),
        (2, "198.51.100.66, 203.0.113.9, 10.9.0.2", "203.0.113.9"),
        (3, "203.0.113.9, 10.9.0.3, 10.9.0.2", "203.0.113.9"),
        # A private client address behind the proxies is still the client's (never the proxy's).
        (1, "192.168.1.20", "192.168.1.20"),
        # Fewer entries than proxies (the request bypassed them) or none: the socket's address.
        (2, "203.0.113.9", PROXY),
        (1, None, PROXY),
        (1, "", PROXY),
        # A port on the entry is not part of the address.
        (1, "203.0.113.9:50123", "203.0.113.9"),
    ],
)
def test_the_client_address_behind_n_proxies(proxies, forwarded, expected):
    assert _ip(proxies, forwarded) == expected


def test_no_usable_address_is_none():
    assert _ip(0, None, remote="") is None
    assert _ip(0, None, remote="not-an-address") is None


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_cache")
def test_behind_a_proxy_the_scan_limit_counts_each_finder_not_the_proxy(client, alice_code, settings):
    settings.KERYU_TRUSTED_PROXY_COUNT = 1
    settings.KERYU_SCAN_GET_RATE_PER_IP = "2/600"
    url = f"/scan/{alice_code.uuid}/"

    def get(forwarded: str) -> int:
        return client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [get("203.0.113.1"), get("203.0.113.1"), get("203.0.113.1")] == [200, 200, 429]
    assert get("203.0.113.2") == 200  # another finder behind the same proxy
    assert get("198.51.100.7, 203.0.113.1") == 429  # a forged left entry does not make a new finder


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_cache")
def test_behind_two_proxies_lockout_security_events_and_audit_see_the_client(client, alice, settings):
    """axes saw the proxy before (REMOTE_ADDR only): a lockout would have locked everyone behind it."""
    settings.KERYU_TRUSTED_PROXY_COUNT = 2
    hops = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "198.51.100.66, 203.0.113.5, 10.9.0.2"}
    with override_settings(AXES_ENABLED=True):
        for _ in range(5):
            client.post("/admin/login/", {"username": "alice", "password": "wrong-password-here"}, **hops)
        locked = client.post("/admin/login/", {"username": "alice", "password": PASSWORD}, **hops)
        other = client.post(
            "/admin/login/",
            {"username": "alice", "password": PASSWORD},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.6, 10.9.0.2",
        )
    assert locked.status_code == 429
    assert other.status_code == 302  # Alice from elsewhere, through the same proxies
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    failed = SecurityEvent.objects.filter(kind="login_failed")
    assert failed.count() >= 5 and set(failed.values_list("ip_address", flat=True)) == {"203.0.113.5"}
    client.force_login(alice)  # an OTP-verified session for the admin
    client.post(
        "/admin/profile/",
        {"first_name": "Alice", "last_name": "Arroyo", "address": "Av. Reforma 2", "emergency_phone": "",
         "language": "en", "preferred_channel": "whatsapp"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.6, 10.9.0.2",
    )  # fmt: skip
    entry = LogEntry.objects.filter(content_type__model="custodian", action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.remote_addr == "203.0.113.6"


@pytest.mark.django_db
@pytest.mark.usefixtures("clean_cache")
def test_a_forged_forwarded_header_does_not_escape_the_apis_anonymous_throttle(client, settings):
    """DRF's own reading took a client-sent X-Forwarded-For as the address (NUM_PROXIES unset)."""
    settings.KERYU_TRUSTED_PROXY_COUNT = 0
    statuses = [
        client.post(
            "/api/token/",
            {"username": "nobody", "password": "x", "otp_token": "000000"},
            REMOTE_ADDR="203.0.113.8",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(35)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429  # the anonymous rate is 30 a minute
