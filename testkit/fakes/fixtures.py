"""pytest fixtures: start a fake provider on 127.0.0.1 and point the settings at it for one test."""

from __future__ import annotations

import pytest

from .meta import FakeMeta
from .twilio import FakeTwilio


@pytest.fixture
def fake_meta(settings):
    fake = FakeMeta().start()
    settings.WHATSAPP_API_BASE_URL = fake.base_url
    settings.WHATSAPP_API_VERSION = fake.version
    settings.WHATSAPP_PHONE_NUMBER_ID = fake.phone_number_id
    settings.WHATSAPP_ACCESS_TOKEN = fake.token
    settings.WHATSAPP_APP_SECRET = fake.app_secret
    settings.WHATSAPP_VERIFY_TOKEN = "meta-verify-token"
    settings.MESSAGING_READ_TIMEOUT = 0.5
    yield fake
    fake.stop()


@pytest.fixture
def fake_twilio(settings):
    fake = FakeTwilio().start()
    settings.TWILIO_API_BASE_URL = fake.base_url
    settings.TWILIO_ACCOUNT_SID = fake.account_sid
    settings.TWILIO_AUTH_TOKEN = fake.auth_token
    settings.TWILIO_PHONE_NUMBER = "+15005550006"
    settings.TWILIO_WHATSAPP_NUMBER = "+14155238886"
    settings.TWILIO_STATUS_CALLBACK_BASE_URL = "http://testserver"
    settings.MESSAGING_READ_TIMEOUT = 0.5
    yield fake
    fake.stop()
