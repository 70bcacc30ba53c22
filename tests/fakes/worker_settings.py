"""Settings for a Celery worker started by a test that talks to the local fakes (provider URLs from env).

The test settings pin provider URLs to a dead local port; a worker child process gets the fakes' URLs
and credentials through FAKE_* variables instead, so it reaches only the fakes on 127.0.0.1.
"""

import os

from keryu_site.settings.test import *  # noqa: F403

for _name in (
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "TWILIO_API_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_STATUS_CALLBACK_BASE_URL",
    "KERYU_PUBLIC_BASE_URL",
):
    if f"FAKE_{_name}" in os.environ:
        globals()[_name] = os.environ[f"FAKE_{_name}"]
