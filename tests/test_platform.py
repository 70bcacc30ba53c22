"""The three doors, the health endpoint and settings that refuse to start without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from alerts.heartbeat import BEAT_CACHE_KEY, CACHE_KEY

ROOT = settings.BASE_DIR


@pytest.mark.django_db
def test_public_site_and_wagtail_login_answer(client):
    assert client.get("/").status_code == 200
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db
def test_ops_console_sends_anonymous_users_to_a_login(client):
    response = client.get("/ops/")
    assert response.status_code == 302 and response.url.startswith("/ops/login/")


@pytest.mark.django_db
def test_ops_console_refuses_a_custodian(client, alice):
    client.force_login(alice)
    response = client.get("/ops/")
    assert response.status_code == 302 and "/ops/login/" in response.url


@pytest.mark.django_db
def test_ops_console_opens_for_staff_with_periodic_tasks(client, staff):
    client.force_login(staff)
    assert client.get("/ops/").status_code == 200
    assert client.get("/ops/django_celery_beat/periodictask/").status_code == 200


@pytest.mark.django_db
def test_health_is_ok_with_fresh_worker_and_beat_heartbeats(client):
    cache.set(CACHE_KEY, time.time())
    cache.set(BEAT_CACHE_KEY, time.time())
    response = client.get("/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["database"]["ok"] and body["broker"]["ok"] and body["worker"]["ok"]
    assert body["beat"]["ok"]


@pytest.mark.django_db
def test_health_is_503_when_the_worker_heartbeat_is_stale(client):
    cache.set(CACHE_KEY, time.time() - 3600)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["worker"]["ok"] is False


@pytest.mark.django_db
def test_health_is_503_without_any_worker(client):
    cache.delete(CACHE_KEY)
    assert client.get("/health/").status_code == 503


# Variables a production process would not inherit from this test run.
_SCRUBBED = {
    "DJANGO_SECRET_KEY", "KERYU_PHONE_HASH_KEY", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS", "REDIS_URL",
    "CELERY_BROKER_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "KERYU_FIELD_ENCRYPTION_KEYS",
}  # fmt: skip


def _django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update({"DJANGO_SETTINGS_MODULE": "keryu_site.settings.base", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION = {
    "DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 30 + "-production-like-secret-for-tests-only-" + "y" * 20,
    "ALLOWED_HOSTS": "keryu.example",
    "KERYU_PHONE_HASH_KEY": "ci-phone-hash-key-" + "z" * 30,
    "KERYU_FIELD_ENCRYPTION_KEYS": "Y2ktZmllbGQtZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM=",
    "DATABASE_URL": "sqlite:////tmp/keryu-deploy-check.sqlite3",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    "KERYU_PUBLIC_BASE_URL": "https://keryu.example",
}


@pytest.mark.parametrize(
    "missing",
    ["DJANGO_SECRET_KEY", "KERYU_PHONE_HASH_KEY", "KERYU_FIELD_ENCRYPTION_KEYS", "DATABASE_URL", "CELERY_BROKER_URL"],
)
def test_debug_off_refuses_to_start_without_a_secret_and_names_it(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _django(env, "check")
    assert result.returncode != 0
    assert f"{missing}" in result.stderr and "must be set when DEBUG is off" in result.stderr


def test_deploy_check_is_clean_with_production_like_variables():
    result = _django(PRODUCTION, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
