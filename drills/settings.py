"""Settings for every process of a fault drill: production settings (DEBUG off), plus the few changes a
plain-HTTP run on 127.0.0.1 needs. Everything else comes from the environment the drill sets.

- Cookies without `Secure` and no HSTS: the drill talks HTTP to gunicorn, not HTTPS behind a proxy.
- Static files without the manifest: the drill never fetches CSS, so it skips `collectstatic`.
- Email to files (one per message) that the drill's report reads as the email provider's outbox.
"""

import os

from keryu_site.settings.base import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["KERYU_DRILL_MAIL_DIR"]
