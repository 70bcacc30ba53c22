"""django-axes lockout by username + IP, and the IP-wide throttle against password spraying."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from accounts.backends import spray_key
from accounts.models import SecurityEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("axes_on")]
PASSWORD = "a-long-test-passphrase"


@pytest.fixture
def axes_on():
    with override_settings(AXES_ENABLED=True):
        yield
    for ip in ("10.1.0.1", "10.1.0.2", "10.2.0.1", "10.2.0.2"):
        cache.delete(spray_key(ip))


def _post(ip: str, username: str, password: str, client: Client | None = None):
    client = client or Client()
    response = client.post("/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)
    return client, response


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_five_failures_lock_username_from_that_ip_but_not_from_another(alice):
    for _ in range(5):
        client, response = _post("10.1.0.1", "alice", "wrong-password-here")
        assert not _logged_in(client)
    client, response = _post("10.1.0.1", "alice", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)
    other, response = _post("10.1.0.2", "alice", PASSWORD)
    assert response.status_code == 302 and _logged_in(other)
    assert SecurityEvent.objects.filter(kind="login_failed", username="alice", ip_address="10.1.0.1").count() >= 5


def test_four_failures_do_not_lock(alice):
    for _ in range(4):
        _post("10.1.0.1", "alice", "wrong-password-here")
    client, _ = _post("10.1.0.1", "alice", PASSWORD)
    assert _logged_in(client)


def test_lock_lifts_after_15_minutes(alice):
    import datetime

    import time_machine
    from django.utils import timezone

    for _ in range(5):
        _post("10.1.0.1", "alice", "wrong-password-here")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16)):
        client, _ = _post("10.1.0.1", "alice", PASSWORD)
        assert _logged_in(client)


@override_settings(KERYU_LOGIN_IP_FAILURE_LIMIT=6)
def test_ip_spraying_many_usernames_is_throttled(alice, bob):
    for n in range(6):
        _post("10.2.0.1", f"nobody{n}", "wrong-password-here")
    client, _ = _post("10.2.0.1", "bob", PASSWORD)
    assert not _logged_in(client)
    other, _ = _post("10.2.0.2", "bob", PASSWORD)
    assert _logged_in(other)
