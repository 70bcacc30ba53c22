"""JWT: people pass their second factor before they get a token; tokens expire and refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from .conftest import totp_now

pytestmark = pytest.mark.django_db


def test_obtain_use_refresh_and_expiry(api, obtain, alice, alice_device, alice_subject):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        response = obtain(alice, totp_now(alice_device))
    assert response.status_code == 200, response.content
    access, refresh = response.json()["access"], response.json()["refresh"]

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        listing = api.get("/api/subjects/")
        assert listing.status_code == 200 and listing.json()["results"][0]["name"] == "Sofía Arroyo"

    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert api.get("/api/subjects/").status_code == 401  # access token expired
        api.credentials()
        renewed = api.post("/api/token/refresh/", {"refresh": refresh}, format="json")
        assert renewed.status_code == 200
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {renewed.json()['access']}")
        assert api.get("/api/subjects/").status_code == 200
        # Refresh tokens rotate: the old one is blacklisted.
        api.credentials()
        assert api.post("/api/token/refresh/", {"refresh": refresh}, format="json").status_code == 401


def test_wrong_second_factor_gets_no_token(obtain, alice, alice_device):
    response = obtain(alice, "000000" if totp_now(alice_device) != "000000" else "111111")
    assert response.status_code == 401 and "access" not in response.json()


def test_a_totp_code_cannot_be_used_twice(obtain, alice, alice_device):
    code = totp_now(alice_device)
    with time_machine.travel(timezone.now(), tick=False):
        assert obtain(alice, code).status_code == 200
        assert obtain(alice, code).status_code == 401


def test_no_token_without_an_enrolled_second_factor(obtain, bob):
    response = obtain(bob, "123456")
    assert response.status_code == 403
    assert "Enrol a second factor" in response.json()["detail"]


def test_wrong_password_gets_no_token(api, alice, alice_device):
    response = api.post(
        "/api/token/", {"username": "alice", "password": "nope", "otp_token": totp_now(alice_device)}, format="json"
    )
    assert response.status_code == 401


def test_password_only_admin_session_is_not_accepted(api, alice, alice_subject):
    api.force_login(alice)  # a session that never passed the second factor
    assert api.get("/api/subjects/").status_code in (401, 403)


def test_machine_token_is_scoped_like_its_user(token_for, alice, alice_subject, bob):
    assert token_for(alice).get("/api/subjects/").json()["count"] == 1
    assert token_for(bob).get("/api/subjects/").json()["count"] == 0


def test_anonymous_is_refused(api):
    assert api.get("/api/alarms/").status_code == 401
