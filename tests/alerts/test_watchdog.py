"""The watchdog tells staff about a backlog, a silent beat, a failing channel and repeated security events,
at most once per interval per cause."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone, translation
from django_celery_beat.models import PeriodicTask

from alerts.heartbeat import BEAT_CACHE_KEY
from alerts.models import NotificationAttempt, NotificationStatus
from alerts.services import alarm_create
from alerts.services.watchdog import watchdog_run

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
CLAIMS = ["backlog", "beat", "security:lockouts", "security:access_refused"] + [
    f"channel:{c}" for c in ("development", "twilio_sms", "meta_whatsapp", "email")
]


@pytest.fixture(autouse=True)
def _quiet(settings, staff):
    """Staff to tell, a live beat, no claims left over; each test then breaks one thing."""
    cache.delete_many([f"keryu:watchdog:{c}" for c in CLAIMS])
    cache.set(BEAT_CACHE_KEY, time.time())
    settings.KERYU_WATCHDOG_ALERT_INTERVAL = 3600
    mail.outbox.clear()
    yield
    cache.delete_many([f"keryu:watchdog:{c}" for c in CLAIMS] + [BEAT_CACHE_KEY])


def _subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def test_nothing_wrong_tells_nobody():
    assert watchdog_run() == []
    assert mail.outbox == []


def test_a_backlog_alerts_staff_once_per_interval(alice_code, settings, staff):
    settings.KERYU_HEALTH_MAX_DUE_SECONDS = 60
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    NotificationAttempt.objects.filter(alarm=alarm).update(created_at=timezone.now() - timedelta(minutes=10))
    assert watchdog_run() == ["backlog"]
    assert watchdog_run() == []  # the same cause within the interval: claimed already
    assert _subjects() == ["Keryu watchdog: notifications are backing up"]
    assert mail.outbox[0].to == [staff.email]


def test_the_same_cause_alerts_again_once_the_interval_has_passed(alice_code, settings):
    settings.KERYU_HEALTH_MAX_DUE_SECONDS = 60
    settings.KERYU_WATCHDOG_ALERT_INTERVAL = 1
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    NotificationAttempt.objects.filter(alarm=alarm).update(created_at=timezone.now() - timedelta(minutes=10))
    assert watchdog_run() == ["backlog"]
    assert watchdog_run() == []
    time.sleep(1.5)  # the claim expires in the cache (Redis TTL), as it would after an hour
    assert watchdog_run() == ["backlog"]
    assert len(mail.outbox) == 2


def test_a_silent_beat_alerts_staff(settings):
    cache.set(BEAT_CACHE_KEY, time.time() - settings.KERYU_BEAT_HEARTBEAT_MAX_AGE - 10)
    assert watchdog_run() == ["beat"]
    assert watchdog_run() == []
    assert _subjects() == ["Keryu watchdog: celery beat is silent"]


def test_staff_read_the_alert_in_the_sites_language_whoever_ran_the_check(settings):
    settings.LANGUAGE_CODE = "es"
    cache.set(BEAT_CACHE_KEY, time.time() - settings.KERYU_BEAT_HEARTBEAT_MAX_AGE - 10)
    with translation.override("en"):  # an English request or task ran it: staff still get the site's language
        assert watchdog_run() == ["beat"]
    assert _subjects() == ["Vigilancia de Keryu: celery beat no da señales"]
    assert "Inicia exactamente un proceso beat." in mail.outbox[0].body


def _attempts(alarm, channel: str, status: str, n: int) -> None:
    for i in range(n):
        NotificationAttempt.objects.create(
            alarm=alarm, channel=channel, status=status, recipient_key=f"{channel}-{status}-{i}", update_seq=0
        )


def test_a_failing_channel_alerts_staff_naming_the_channel_and_no_person(alice_code, settings):
    settings.KERYU_WATCHDOG_CHANNEL_MIN_FAILURES = 5
    settings.KERYU_WATCHDOG_CHANNEL_FAILURE_RATIO = 0.5
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    NotificationAttempt.objects.filter(alarm=alarm).update(status=NotificationStatus.SENT)
    _attempts(alarm, "twilio_sms", NotificationStatus.FAILED, 5)
    _attempts(alarm, "twilio_sms", NotificationStatus.SENT, 1)
    _attempts(alarm, "email", NotificationStatus.FAILED, 4)  # under the minimum: no alert
    assert watchdog_run() == ["channel:twilio_sms"]
    assert watchdog_run() == []
    text = mail.outbox[0].subject + mail.outbox[0].body
    assert "twilio_sms" in text and "5 of 6" in text
    assert alice_code.subject.name not in text and "alice" not in text.lower()


def test_a_channel_failing_now_and_then_is_not_a_failing_channel(alice_code, settings):
    settings.KERYU_WATCHDOG_CHANNEL_MIN_FAILURES = 5
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    _attempts(alarm, "twilio_sms", NotificationStatus.FAILED, 5)
    _attempts(alarm, "twilio_sms", NotificationStatus.DELIVERED, 20)
    assert watchdog_run() == []


def test_repeated_refused_object_access_alerts_staff(client, bob, alice_subject, settings):
    """Bob edits the URL to Alice's subject: the scoping guard refuses (404) and records it; the third time
    within the window staff hear of it."""
    settings.KERYU_WATCHDOG_ACCESS_REFUSED = 3
    client.force_login(bob)
    url = f"/admin/snippets/registry/subject/edit/{alice_subject.pk}/"
    for _ in range(2):
        assert client.get(url).status_code == 404
    assert watchdog_run() == []
    assert client.get(url).status_code == 404
    assert watchdog_run() == ["security:access_refused"]
    assert watchdog_run() == []
    assert _subjects() == ["Keryu watchdog: repeated refused attempts to open another family's records"]


def test_repeated_lockouts_alert_staff(client, settings):
    settings.AXES_ENABLED = True
    settings.KERYU_WATCHDOG_LOCKOUTS = 2
    for name in ("carol", "dave"):
        UserFactory(username=name)
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post("/admin/login/", {"username": name, "password": "wrong-password-123"})
    assert watchdog_run() == ["security:lockouts"]
    assert watchdog_run() == []
    assert "2 sign-in lockouts" in mail.outbox[0].body and "carol" not in mail.outbox[0].body


def test_one_lockout_is_no_alert(client, settings):
    settings.AXES_ENABLED = True
    settings.KERYU_WATCHDOG_LOCKOUTS = 2
    UserFactory(username="carol")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "carol", "password": "wrong-password-123"})
    assert watchdog_run() == []


def test_the_watchdog_and_beats_heartbeat_are_periodic_tasks():
    watchdog = PeriodicTask.objects.get(task="alerts.watchdog")
    heartbeat = PeriodicTask.objects.get(task="alerts.beat_heartbeat")
    assert watchdog.enabled and heartbeat.enabled
    assert heartbeat.interval.every <= 30 and heartbeat.expire_seconds == 2 * heartbeat.interval.every
