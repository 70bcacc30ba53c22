"""The benchmark environment, prepared before Django starts (the driver and every child process share it).

Services: its own PostgreSQL database and two Redis databases (BENCH_* variables override them). Production
settings (DEBUG off) with fixed bench-only keys, scan rate limits raised (every request comes from
127.0.0.1 here; a deployment behind a proxy sees distinct client IPs), and Meta WhatsApp as the only
delivery channel, pointed at the local fake once it is running.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keryu_bench"
BROKER_URL = "redis://127.0.0.1:6379/5"
CACHE_URL = "redis://127.0.0.1:6379/6"
# Fixed so seeded, encrypted phone numbers still decrypt on the next run. Bench-only, never a real key.
FIELD_KEY = "a2VyeXUtYmVuY2gtb25seS1maWVsZC1rZXktMzJieXQ="
UNLIMITED = "100000000/60"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Config:
    """Sizes and server settings of a run; each can be overridden by an environment variable."""

    web_workers: int = field(default_factory=lambda: _int("BENCH_WEB_WORKERS", 4))
    web_threads: int = field(default_factory=lambda: _int("BENCH_WEB_THREADS", 2))
    worker_pool: str = field(default_factory=lambda: os.environ.get("BENCH_WORKER_POOL", "threads"))
    worker_concurrency: int = field(default_factory=lambda: _int("BENCH_WORKER_CONCURRENCY", 16))
    worker_processes: int = field(default_factory=lambda: _int("BENCH_WORKER_PROCESSES", 2))
    provider_latency: float = field(default_factory=lambda: float(os.environ.get("BENCH_PROVIDER_LATENCY", 0.1)))
    alarms: int = field(default_factory=lambda: _int("BENCH_ALARMS", 100_000))
    scan_subjects: int = field(default_factory=lambda: _int("BENCH_SCAN_SUBJECTS", 14_000))
    notify_subjects: int = field(default_factory=lambda: _int("BENCH_NOTIFY_SUBJECTS", 3_000))
    contacts_per_subject: int = 4
    load_seconds: float = field(default_factory=lambda: float(os.environ.get("BENCH_LOAD_SECONDS", 8)))

    @property
    def worker_label(self) -> str:
        processes = f"{self.worker_processes} processes x " if self.worker_processes > 1 else ""
        return f"{processes}{self.worker_pool} x{self.worker_concurrency}"

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def prepare_environment() -> dict[str, str]:
    """Set the variables every process of the run reads; returns them (children inherit os.environ)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "DEBUG": "false",
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", DATABASE_URL),
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", BROKER_URL),
        "REDIS_URL": os.environ.get("BENCH_CACHE_URL", CACHE_URL),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "KERYU_PHONE_HASH_KEY": "bench-only-phone-hash-key",
        "KERYU_FIELD_ENCRYPTION_KEYS": FIELD_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "KERYU_PUBLIC_BASE_URL": "http://127.0.0.1",
        "KERYU_SCAN_GET_RATE_PER_IP": UNLIMITED,
        "KERYU_SCAN_POST_RATE_PER_IP": UNLIMITED,
        "KERYU_SCAN_POST_RATE_PER_CODE": UNLIMITED,
        "KERYU_CHANNEL_ORDER": "meta_whatsapp",
        # Meta's upgraded throughput and unlimited tier (see benchmarks.stack): otherwise the 251st new recipient
        # goes by SMS at 1 a second and the runs measure Twilio's limit, not ours.
        "MESSAGING_RATE_META_WHATSAPP": "1000",
        "KERYU_WHATSAPP_CONVERSATION_TIER": "100000000",
        # The fake's fixed credentials (testkit/fakes/meta.py); its base URL is set once it listens.
        "WHATSAPP_PHONE_NUMBER_ID": "109876543210",
        "WHATSAPP_ACCESS_TOKEN": "meta-test-token",
        "WHATSAPP_APP_SECRET": "meta-app-secret",
        "WHATSAPP_API_VERSION": "v21.0",
        "PYTHONUNBUFFERED": "1",
    }
    os.environ.update(env)
    return env
