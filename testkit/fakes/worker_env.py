"""What a worker (or web) process started by a test needs to reach the local fakes: the settings it takes from
FAKE_*. The app secret lets a web process take the fake Meta's signed status webhooks."""

from __future__ import annotations

FORWARDED = (
    "WHATSAPP_API_BASE_URL",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_APP_SECRET",
    "TWILIO_API_BASE_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_PHONE_NUMBER",
    "TWILIO_WHATSAPP_NUMBER",
    "TWILIO_STATUS_CALLBACK_BASE_URL",
    "KERYU_PUBLIC_BASE_URL",
)


def worker_env(settings, **overrides: str) -> dict[str, str]:
    """Env for `running_worker`: this test's (fake) provider settings, overridden by `overrides`."""
    env = {f"FAKE_{name}": str(getattr(settings, name)) for name in FORWARDED if getattr(settings, name, "")}
    env |= {f"FAKE_{name}": value for name, value in overrides.items()}
    return env | {"DJANGO_SETTINGS_MODULE": "testkit.fakes.worker_settings"}
