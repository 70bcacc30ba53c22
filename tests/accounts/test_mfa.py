"""Second factor on every console URL; enrolment, verification, replay, backup codes, staff reset."""

from __future__ import annotations

import base64
import re

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.middleware import EXEMPT_PREFIXES
from accounts.models import SecurityEvent

from ..urlwalk import all_routes

pytestmark = pytest.mark.django_db


def console_urls() -> list[str]:
    """Every URL pattern the resolver knows under /admin/ and /ops/, each as a URL that resolves to it."""
    return sorted({r.sample() for r in all_routes() if r.route.startswith(("admin/", "ops/"))})


def test_the_resolver_walk_finds_both_consoles():
    urls = console_urls()
    assert len([u for u in urls if u.startswith("/admin/")]) > 100
    assert len([u for u in urls if u.startswith("/ops/")]) > 30
    assert "/admin/profile/" in urls and "/ops/auditlog/logentry/" in urls


@pytest.mark.parametrize("with_device", [True, False], ids=["has-device", "no-device"])
def test_password_only_session_gets_no_content_on_any_console_url(password_only_client, staff, with_device):
    staff.is_superuser = True
    staff.save()
    if with_device:
        TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    password_only_client.force_login(staff)
    expected = "/accounts/mfa/verify/" if with_device else "/accounts/mfa/enrol/"
    checked = 0
    for url in console_urls():
        if url.startswith(EXEMPT_PREFIXES):
            continue
        for method in ("get", "post"):
            response = getattr(password_only_client, method)(url)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(expected), (url, response["Location"])
            checked += 1
    assert checked > 250


def test_exempt_console_urls_are_only_sign_in_out_and_password_reset():
    assert all(
        any(word in prefix for word in ("login", "logout", "password_reset", "jsi18n")) for prefix in EXEMPT_PREFIXES
    )


def _login(client, user, password="a-long-test-passphrase", next_url="/admin/"):
    return client.post("/admin/login/", {"username": user.username, "password": password, "next": next_url})


def test_login_without_device_leads_to_enrolment_then_backup_codes_then_dashboard(password_only_client, alice):
    c = password_only_client
    response = _login(c, alice)
    assert response.status_code == 302
    response = c.get("/admin/")
    assert response["Location"].startswith("/accounts/mfa/enrol/")
    page = c.get(response["Location"]).content.decode()
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page).group(1)
    assert base64.b64decode(qr).lstrip().startswith((b"<?xml", b"<svg"))
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert base64.b32decode(secret) == device.bin_key
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = c.post("/accounts/mfa/enrol/?next=/admin/", {"code": f"{totp.token():06d}", "next": "/admin/"})
    assert response["Location"].startswith("/accounts/mfa/backup-codes/")
    codes_page = c.get(response["Location"]).content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", codes_page)
    assert len(codes) == 10
    assert c.get("/accounts/mfa/backup-codes/")["Location"] == "/admin/"  # shown once
    assert c.get("/admin/").status_code == 200


def test_totp_code_cannot_be_used_twice(password_only_client, client, alice):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    token = f"{TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits).token():06d}"
    _login(password_only_client, alice)
    assert (
        password_only_client.post("/accounts/mfa/verify/", {"code": token, "next": "/admin/"})["Location"] == "/admin/"
    )
    assert password_only_client.get("/admin/").status_code == 200
    other = type(password_only_client)()
    _login(other, alice)
    response = other.post("/accounts/mfa/verify/", {"code": token, "next": "/admin/"})
    assert response.status_code == 200
    assert "That code is not right, or it was already used." in response.content.decode()
    assert other.get("/admin/").status_code == 302
    assert SecurityEvent.objects.filter(kind="mfa_failed", user=alice).exists()


def test_backup_code_works_once(password_only_client, alice):
    device = StaticDevice.objects.create(user=alice, name="Backup codes", confirmed=True)
    device.token_set.create(token="abcd1234")
    _login(password_only_client, alice)
    assert password_only_client.post("/accounts/mfa/verify/", {"code": "abcd1234"})["Location"] == "/admin/"
    other = type(password_only_client)()
    _login(other, alice)
    assert other.post("/accounts/mfa/verify/", {"code": "abcd1234"}).status_code == 200


def test_user_with_a_device_cannot_enrol_a_new_one_with_only_the_password(password_only_client, alice):
    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    _login(password_only_client, alice)
    response = password_only_client.get("/accounts/mfa/enrol/")
    assert response["Location"].startswith("/accounts/mfa/verify/")
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_verify_refuses_an_offsite_next(password_only_client, alice):
    device = StaticDevice.objects.create(user=alice, name="b", confirmed=True)
    device.token_set.create(token="zz112233")
    _login(password_only_client, alice)
    response = password_only_client.post("/accounts/mfa/verify/", {"code": "zz112233", "next": "https://evil.example/"})
    assert response["Location"] == "/admin/"


def test_password_reset_by_email_does_not_bypass_mfa(password_only_client, alice):
    from django.core import mail

    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    c = password_only_client
    c.post("/admin/password_reset/", {"email": alice.email})
    link = re.search(r"http://[^/]+(/admin/password_reset/confirm/\S+/)", mail.outbox[-1].body).group(1)
    form_url = c.get(link)["Location"]
    c.post(form_url, {"new_password1": "a-brand-new-passphrase-77", "new_password2": "a-brand-new-passphrase-77"})
    assert c.get("/admin/").status_code == 302
    _login(c, alice, password="a-brand-new-passphrase-77")
    assert c.get("/admin/")["Location"].startswith("/accounts/mfa/verify/")


def test_staff_reset_of_devices_from_ops_is_audited(client, staff, alice):
    from auditlog.models import LogEntry

    TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    client.force_login(staff)
    response = client.post(
        "/ops/accounts/usermfa/", {"action": "reset_devices", "_selected_action": [alice.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=alice).exists()
    event = SecurityEvent.objects.get(kind="mfa_reset", user=alice)
    assert event.actor == staff
    assert LogEntry.objects.filter(
        content_type__model="totpdevice", action=LogEntry.Action.DELETE, actor=staff
    ).exists()


def test_custodian_cannot_reach_the_ops_reset(client, alice, bob):
    TOTPDevice.objects.create(user=bob, name="phone", confirmed=True)
    client.force_login(alice)
    client.post("/ops/accounts/usermfa/", {"action": "reset_devices", "_selected_action": [bob.pk]})
    assert TOTPDevice.objects.filter(user=bob).exists()


def test_new_session_key_at_login(password_only_client, alice):
    c = password_only_client
    c.get("/admin/login/")
    c.cookies["sessionid"] = "attacker-chosen-session-key-1234"
    _login(c, alice)
    assert c.cookies["sessionid"].value != "attacker-chosen-session-key-1234"


def test_idle_session_is_signed_out(client, alice):
    import time_machine
    from django.utils import timezone

    client.force_login(alice)
    assert client.get("/admin/").status_code == 200
    with time_machine.travel(timezone.now() + __import__("datetime").timedelta(minutes=31)):
        response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_page_view_saves_the_session_at_most_once_a_minute(client, alice):
    """The last-seen time moves in steps of a minute: a second page view within it writes no session row."""
    from datetime import timedelta

    import time_machine
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    client.force_login(alice)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(seconds=20), tick=False), CaptureQueriesContext(connection) as quiet:
        assert client.get("/admin/").status_code == 200
    with time_machine.travel(start + timedelta(seconds=70), tick=False), CaptureQueriesContext(connection) as moved:
        assert client.get("/admin/").status_code == 200
    assert not [q for q in quiet.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]
    assert [q for q in moved.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]


def test_a_session_kept_busy_is_not_signed_out(client, alice):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    client.force_login(alice)
    start = timezone.now()
    for minutes in range(0, 61, 20):  # an hour of work, a page every 20 minutes: never 30 minutes idle
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get("/admin/").status_code == 200, minutes
