"""GET /metrics: only with the bearer token; Keryu's metrics read from the database at scrape time."""

from __future__ import annotations

import logging
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from prometheus_client.parser import text_string_to_metric_families

from alerts.services import alarm_acknowledge, alarm_create, attempt_deliver
from core.counters import token_bucket_wait_record
from messaging.models import Message
from messaging.signals import message_status_changed

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests"
HISTOGRAMS = (
    "keryu_scan_to_first_provider_request_seconds",
    "keryu_scan_to_delivered_seconds",
    "keryu_scan_to_acknowledged_seconds",
)


@pytest.fixture
def token(settings):
    settings.KERYU_METRICS_TOKEN = TOKEN


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:500]
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            samples[f"{s.name}{{{labels}}}"] = s.value
    return samples


def test_no_token_configured_means_no_endpoint(client, settings):
    settings.KERYU_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_a_missing_or_wrong_token_is_refused(client, token):
    assert client.get("/metrics").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 401 and b"keryu_" not in response.content


def test_the_scrape_has_request_and_keryu_metrics(client, token):
    samples = scrape(client)
    names = {key.split("{")[0] for key in samples}
    assert "django_http_requests_before_middlewares_total" in names  # django-prometheus, this process
    for name in (
        "keryu_alarms_total",
        "keryu_alarms_unacknowledged",
        "keryu_outbox_due_attempts",
        "keryu_outbox_oldest_due_seconds",
        "keryu_broker_queue_depth",
        "keryu_worker_heartbeat_age_seconds",
        "keryu_beat_heartbeat_age_seconds",
        "keryu_token_bucket_waits_total",
    ):
        assert name in names, name
    for histogram in HISTOGRAMS:
        assert samples[f"{histogram}_count{{}}"] == 0


def test_histograms_hold_a_scan_its_delivery_and_its_acknowledgement(client, token, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED", description="Fell")
    attempt = alarm.attempts.get()
    before = scrape(client)
    assert before["keryu_alarms_total{situation=INJURED}"] == 1
    assert before["keryu_alarms_unacknowledged{situation=INJURED}"] == 1
    assert before["keryu_notification_attempts{channel=development,outcome=pending}"] == 1
    assert all(before[f"{h}_count{{}}"] == 0 for h in HISTOGRAMS)

    attempt_deliver(attempt_id=attempt.pk)  # the development channel: the message row, then the "provider"
    attempt.refresh_from_db()
    message_status_changed.send(sender=Message, message=attempt.message, status="delivered")
    after_delivery = scrape(client)
    assert after_delivery["keryu_scan_to_first_provider_request_seconds_count{}"] == 1
    assert after_delivery["keryu_scan_to_delivered_seconds_count{}"] == 1
    assert after_delivery["keryu_scan_to_delivered_seconds_bucket{le=+Inf}"] == 1
    assert after_delivery["keryu_scan_to_acknowledged_seconds_count{}"] == 0
    assert after_delivery["keryu_notification_attempts{channel=development,outcome=delivered}"] == 1

    assert alarm_acknowledge(alarm_id=alarm.pk, via="link")
    acknowledged = scrape(client)
    assert acknowledged["keryu_scan_to_acknowledged_seconds_count{}"] == 1
    assert acknowledged["keryu_alarms_unacknowledged{situation=INJURED}"] == 0


def test_token_bucket_waits_are_counted_across_processes_through_the_cache(client, token):
    keys = ["keryu:counter:token-bucket-waits:twilio_sms", "keryu:counter:token-bucket-waited-ms:twilio_sms"]
    cache.delete_many(keys)
    try:
        token_bucket_wait_record(channel="twilio_sms", seconds=0.25)
        token_bucket_wait_record(channel="twilio_sms", seconds=0.5)
        samples = scrape(client)
    finally:
        cache.delete_many(keys)
    assert samples["keryu_token_bucket_waits_total{channel=twilio_sms}"] == 2
    assert samples["keryu_token_bucket_wait_seconds_total{channel=twilio_sms}"] == 0.75
    assert samples["keryu_token_bucket_waits_total{channel=email}"] == 0


def test_a_rate_limit_refusal_is_logged_without_the_address_or_code(client, alice_code, settings, caplog):
    settings.KERYU_SCAN_GET_RATE_PER_IP = "1/600"
    cache.clear()
    url = f"/scan/{alice_code.uuid}/"
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        assert client.get(url, REMOTE_ADDR="203.0.113.77").status_code == 200
        assert client.get(url, REMOTE_ADDR="203.0.113.77").status_code == 429
        assert client.get(url, REMOTE_ADDR="203.0.113.77").status_code == 429
    refused = [r.getMessage() for r in caplog.records if "rate limit refused" in r.getMessage()]
    assert refused == ["rate limit refused kind=scan-get-ip limit=1/600s"]  # once per key and window
    assert "203.0.113.77" not in caplog.text and str(alice_code.uuid) not in caplog.text


def test_every_metric_the_sample_alert_rules_use_is_exported(client, token):
    rules = (settings.BASE_DIR / "docs" / "prometheus-alerts.yml").read_text()
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    families = list(text_string_to_metric_families(response.content.decode()))
    exported = {f.name for f in families} | {s.name for f in families for s in f.samples}
    used = set(re.findall(r"\bkeryu_[a-z_]+", rules))
    assert used and used <= exported, used - exported
