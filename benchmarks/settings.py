"""Settings for `bin/bench`: the production settings (DEBUG off, everything from the environment that
benchmarks.config prepares), a URLConf with one extra trivial view, and cookies that work over plain HTTP
on 127.0.0.1 (there is no TLS terminator in front of gunicorn here)."""

from keryu_site.settings.base import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
