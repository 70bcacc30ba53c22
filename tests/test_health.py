"""/health/live and /health/ready: what each checks, in-process (the real-process test is in test_health_procs)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from alerts.heartbeat import BEAT_CACHE_KEY, CACHE_KEY
from alerts.models import NotificationAttempt
from alerts.services import alarm_create
from keryu_site.celery import app as celery_app
from testkit import celery_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_heartbeats():
    cache.set(CACHE_KEY, time.time())
    cache.set(BEAT_CACHE_KEY, time.time())
    yield
    cache.delete_many([CACHE_KEY, BEAT_CACHE_KEY])


def test_live_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/live")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_ready_is_200_with_every_check_ok_and_health_is_its_alias(client, fresh_heartbeats):
    for url in ("/health/ready", "/health/"):
        response = client.get(url)
        body = response.json()
        assert response.status_code == 200, body
        assert {"database", "broker", "worker", "beat", "queue", "outbox"} <= set(body)
        assert all(body[k]["ok"] for k in ("database", "broker", "worker", "beat", "queue", "outbox"))


def test_ready_is_503_when_beats_heartbeat_is_stale(client, fresh_heartbeats, settings):
    cache.set(BEAT_CACHE_KEY, time.time() - settings.KERYU_BEAT_HEARTBEAT_MAX_AGE - 5)
    response = client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["beat"]["ok"] is False and body["worker"]["ok"] is True


def test_ready_is_503_when_beat_never_ran(client, fresh_heartbeats):
    cache.delete(BEAT_CACHE_KEY)
    response = client.get("/health/ready")
    assert response.status_code == 503 and response.json()["beat"] == {"ok": False, "last_heartbeat_seconds_ago": None}


def test_ready_is_503_when_a_due_notification_waits_too_long(client, fresh_heartbeats, settings, alice_code):
    settings.KERYU_HEALTH_MAX_DUE_SECONDS = 60
    attempt = alarm_create(qr_code=alice_code, situation_type="LOST").attempts.first()
    NotificationAttempt.objects.filter(pk=attempt.pk).update(created_at=timezone.now() - timedelta(seconds=120))
    response = client.get("/health/ready")
    body = response.json()
    assert response.status_code == 503 and body["outbox"]["ok"] is False
    assert body["outbox"]["due"] >= 1 and body["outbox"]["oldest_due_seconds"] >= 120


def test_an_escalation_row_not_yet_due_is_no_backlog(client, fresh_heartbeats, settings, alice_code):
    settings.KERYU_HEALTH_MAX_DUE_SECONDS = 60
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    NotificationAttempt.objects.filter(alarm=alarm).update(
        created_at=timezone.now() - timedelta(seconds=600), not_before=timezone.now() + timedelta(seconds=300)
    )
    assert client.get("/health/ready").json()["outbox"] == {"ok": True, "due": 0, "oldest_due_seconds": None, "max": 60}


def test_ready_is_503_when_the_broker_queue_is_deeper_than_allowed(client, fresh_heartbeats, settings):
    settings.KERYU_HEALTH_MAX_QUEUE_DEPTH = 1
    celery_worker.purge_queue()
    try:
        for _ in range(2):
            celery_app.send_task("alerts.sweep")  # nobody consumes: no worker runs in this test
        body = client.get("/health/ready").json()
    finally:
        celery_worker.purge_queue()
    assert body["queue"] == {"ok": False, "depth": 2, "max": 1}


def test_ready_names_no_secret(client, fresh_heartbeats, settings):
    text = client.get("/health/ready").content.decode()
    for secret in (celery_app.conf.broker_url, settings.SECRET_KEY, settings.DATABASES["default"].get("PASSWORD")):
        if secret and "://" in secret:
            assert secret.split("://", 1)[1] not in text
        elif secret:
            assert secret not in text


@pytest.mark.django_db(transaction=True)
def test_health_urls_answer_plain_http_with_debug_off_while_pages_redirect(tmp_path):
    """A balancer probes over plain HTTP; with DEBUG off every other page still redirects to HTTPS."""
    from django.conf import settings

    from testkit.procs import running_web

    env = {
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": "probe-" + "k" * 50,
        "KERYU_PHONE_HASH_KEY": "probe-phone-hash-key",
        "KERYU_FIELD_ENCRYPTION_KEYS": ",".join(settings.KERYU_FIELD_ENCRYPTION_KEYS),
        "ALLOWED_HOSTS": "127.0.0.1",
        "KERYU_VAR_DIR": str(tmp_path),
    }
    with running_web(env) as base:
        live = requests.get(base + "/health/live", allow_redirects=False, timeout=10)
        ready = requests.get(base + "/health/ready", allow_redirects=False, timeout=10)
        old = requests.get(base + "/health/", allow_redirects=False, timeout=10)
        login = requests.get(base + "/admin/login/", allow_redirects=False, timeout=10)
    assert live.status_code == 200 and live.json() == {"status": "ok"}
    assert ready.status_code in (200, 503) and "database" in ready.json()
    assert old.status_code in (200, 503) and "database" in old.json()
    assert login.status_code == 301 and login.headers["Location"].startswith("https://")
