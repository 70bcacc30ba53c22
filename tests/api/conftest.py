from __future__ import annotations

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ..factories import PASSWORD


def totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


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
