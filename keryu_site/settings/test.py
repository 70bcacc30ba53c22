"""Test settings: base, plus what makes tests fast and hermetic. Database and broker still come from the
environment, so CI runs this on PostgreSQL and Redis."""

import os
from pathlib import Path

# `bin/test` runs the suite in several pytest-xdist processes (gw0, gw1, ...). pytest-django gives each its own
# test database (`test_<name>_gw0`); here each also gets its own var dir (SQLite files, filesystem broker, media,
# file cache), broker key prefix and cache key prefix, so no process sees another's queue, rate limits or
# heartbeats. The var dir is set in the environment before `base` reads it, so a Celery worker, beat or web
# server a test starts (they inherit the environment, PYTEST_XDIST_WORKER included) lands in the same place.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    _var = Path(os.environ.get("KERYU_VAR_DIR") or Path(__file__).resolve().parents[2] / "var")
    if _var.name != XDIST_WORKER:  # a child process inherits the already-suffixed dir
        os.environ["KERYU_VAR_DIR"] = str(_var / XDIST_WORKER)

from .base import *  # noqa: E402, F403

if XDIST_WORKER:
    CACHES["default"]["KEY_PREFIX"] = XDIST_WORKER
    if not CELERY_BROKER_URL.startswith("filesystem://"):
        # The same queue names (`alarms`, `default`), under a key prefix of this process's own.
        CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{XDIST_WORKER}:"}
        # kombu 5.7 prefixes every key command it sends except EXISTS, which a passive queue declare uses (the
        # health check's queue depth): unprefixed, it finds no queue and the depth reads 0. Prefix it too.
        from kombu.transport.redis import GlobalKeyPrefixMixin

        if "EXISTS" not in GlobalKeyPrefixMixin.PREFIXED_SIMPLE_COMMANDS:
            GlobalKeyPrefixMixin.PREFIXED_SIMPLE_COMMANDS.append("EXISTS")

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The tests' PostgreSQL: flush with DELETE (tests/pgbackend/base.py), and commit without waiting for the
    # WAL to reach the disk (a crash of the server may lose the last commits of a test database, nothing else):
    # a test run commits tens of thousands of times, each about 2 ms with the wait and 0.3 ms without.
    DATABASES["default"]["ENGINE"] = "tests.pgbackend"
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c synchronous_commit=off".strip()

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

# The 24-hour window of new WhatsApp conversations lives in the shared Redis and outlives a run: out of reach here;
# the tier's own tests set a small one and clear the window (tests/messaging/test_send_limits.py).
KERYU_WHATSAPP_CONVERSATION_TIER = 1_000_000
