"""Test settings: base, plus what makes tests fast and hermetic. Database and broker still come from the
environment, so CI runs this on PostgreSQL and Redis."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
KERYU_PUBLIC_BASE_URL = "http://testserver"
# Provider base URLs point nowhere real: tests that need a provider start a local fake and override these.
WHATSAPP_API_BASE_URL = "http://127.0.0.1:9"
TWILIO_API_BASE_URL = "http://127.0.0.1:9"

# Accounts: real verification flows, no TOTP throttling between test codes; axes only where a test enables it.
KERYU_INSTANT_VERIFICATION = False
OTP_TOTP_THROTTLE_FACTOR = 0
AXES_ENABLED = False
