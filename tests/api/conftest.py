from __future__ import annotations

import pytest
from django.core.cache import cache
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from messaging.models import Message

from ..factories import PASSWORD, AlarmFactory


def totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture(autouse=True)
def _clear_throttles():
    """DRF's throttles count in the cache (Redis in CI): each test starts and ends with an empty one, so one
    test's requests never make another's answer 429."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def token_for():
    """An API client authenticated as `user` with a machine token (staff-issued in /ops/)."""

    def make(user) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def alice_device(alice):
    return TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)


@pytest.fixture
def obtain(api):
    def call(user, code):
        return api.post(
            "/api/token/", {"username": user.username, "password": PASSWORD, "otp_token": code}, format="json"
        )

    return call


@pytest.fixture
def alice_world(alice_code):
    """One of each of Alice's objects, by router basename (the names the API's URL patterns use)."""
    alarm = AlarmFactory(qr_code=alice_code)
    attempt = alarm.attempts.create(
        custodian=alice_code.subject.custodian, recipient_key="custodian:x", channel="development"
    )
    message = Message.objects.create(
        owner=alice_code.subject.custodian.user, to="+525500000000", channel="development", content="Sofía is lost"
    )
    return {
        "subject": alice_code.subject.pk,
        "qrcode": alice_code.pk,
        "alarm": alarm.pk,
        "notificationattempt": attempt.pk,
        "message": message.pk,
    }
