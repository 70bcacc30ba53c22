"""Periodic tasks and maintenance: created once, never overwriting staff; retention, purge (drills: test_drills)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from alerts.models import Alarm, NotificationAttempt
from alerts.models import NotificationStatus as S
from alerts.periodic import SCHEDULE, periodic_tasks_ensure
from alerts.services import maintenance
from messaging.models import Message

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db


def test_periodic_tasks_exist_after_migrate_and_staff_edits_survive_a_rerun():
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= set(SCHEDULE)
    sweep = PeriodicTask.objects.get(task="alerts.sweep")
    sweep.enabled = False
    sweep.save()
    PeriodicTask.objects.filter(task="alerts.cleanup").delete()
    call_command("setup_periodic_tasks")
    assert PeriodicTask.objects.get(task="alerts.sweep").enabled is False
    assert PeriodicTask.objects.filter(task="alerts.cleanup").count() == 1
    assert periodic_tasks_ensure() == 0


def test_scanner_ip_user_agent_and_gps_are_purged_after_retention(alice_code, settings):
    settings.KERYU_SCANNER_DATA_RETENTION_DAYS = 30
    old = AlarmFactory(qr_code=alice_code, scanner_ip="10.0.0.1", scanner_user_agent="UA", latitude=1, longitude=2)
    new = AlarmFactory(qr_code=alice_code, scanner_ip="10.0.0.2", scanner_user_agent="UA", latitude=1, longitude=2)
    Alarm.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=31))
    assert maintenance.scanner_data_purge() == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.scanner_ip, old.scanner_user_agent, old.latitude) == (None, "", None)
    assert new.scanner_ip == "10.0.0.2" and old.description  # the alarm itself stays


def test_old_messages_are_cleaned_up(settings):
    settings.KERYU_MESSAGE_RETENTION_DAYS = 10
    keep = Message.objects.create(to="+1", channel="development", content="x")
    drop = Message.objects.create(to="+1", channel="development", content="x")
    Message.objects.filter(pk=drop.pk).update(created_at=timezone.now() - timedelta(days=11))
    assert maintenance.records_cleanup()["messages"] == 1
    assert list(Message.objects.values_list("pk", flat=True)) == [keep.pk]


def fake_cleanup() -> int:
    return 7


def _attempts(alarm, contacts, rows):
    """rows: (recipient, channel, status) with recipient "custodian" or a contact index."""
    made = {}
    for recipient, channel, status in rows:
        if recipient == "custodian":
            who = {"custodian": alarm.subject.custodian, "recipient_key": f"custodian:{alarm.subject.custodian.pk}"}
        else:
            contact = contacts[recipient]
            who = {"contact": contact, "recipient_key": f"contact:{contact.pk}", "recipient_kind": "contact"}
        made[(recipient, channel)] = NotificationAttempt.objects.create(
            alarm=alarm, channel=channel, status=status, **who
        )
    return made


def test_periodic_retry_requeues_recipients_nobody_reached_one_channel_per_run(alice_code, contacts):
    alarm = AlarmFactory(qr_code=alice_code)
    rows = _attempts(
        alarm,
        contacts,
        [
            ("custodian", "meta_whatsapp", S.FAILED),  # reached on the next channel: left alone
            ("custodian", "email", S.SENT),
            (0, "meta_whatsapp", S.FAILED),  # every channel failed: retried
            (0, "twilio_sms", S.FAILED),
            (1, "meta_whatsapp", S.FAILED),  # its next channel is still in flight: left alone
            (1, "twilio_sms", S.PENDING),
        ],
    )
    assert maintenance.alarms_retry_failed() == 1
    status = {k: NotificationAttempt.objects.get(pk=a.pk).status for k, a in rows.items()}
    assert status[(0, "meta_whatsapp")] == S.PENDING
    assert status[(0, "twilio_sms")] == S.FAILED
    assert status[("custodian", "meta_whatsapp")] == S.FAILED
    assert status[(1, "meta_whatsapp")] == S.FAILED

    NotificationAttempt.objects.filter(pk=rows[(0, "meta_whatsapp")].pk).update(status=S.FAILED)
    assert maintenance.alarms_retry_failed() == 1  # the second run tries the recipient's second channel
    assert NotificationAttempt.objects.get(pk=rows[(0, "twilio_sms")].pk).status == S.PENDING


def test_periodic_retry_leaves_acknowledged_alarms_alone(alice_code, contacts):
    alarm = AlarmFactory(qr_code=alice_code, acknowledged_at=timezone.now())
    _attempts(alarm, contacts, [("custodian", "email", S.SENT), (0, "meta_whatsapp", S.FAILED)])
    assert maintenance.alarms_retry_failed() == 0


def _attempt_with_message(alarm, *, days_old: int) -> tuple[NotificationAttempt, Message]:
    message = Message.objects.create(to="+1", channel="development", content="x", status="delivered")
    attempt = NotificationAttempt.objects.create(
        alarm=alarm, recipient_key=f"custodian:{alarm.pk}", channel="development", status=S.DELIVERED, message=message
    )
    old = timezone.now() - timedelta(days=days_old)
    NotificationAttempt.objects.filter(pk=attempt.pk).update(created_at=old)
    Message.objects.filter(pk=message.pk).update(created_at=old)
    return attempt, message


def test_cleanup_keeps_an_open_alarms_attempts_and_messages_however_old(alice_code, settings):
    settings.KERYU_ATTEMPT_RETENTION_DAYS = settings.KERYU_MESSAGE_RETENTION_DAYS = 10
    open_alarm = AlarmFactory(qr_code=alice_code)
    Alarm.objects.filter(pk=open_alarm.pk).update(timestamp=timezone.now() - timedelta(days=40))
    attempt, message = _attempt_with_message(open_alarm, days_old=40)
    maintenance.records_cleanup()
    assert NotificationAttempt.objects.filter(pk=attempt.pk).exists()
    assert Message.objects.filter(pk=message.pk).exists()


def test_cleanup_keeps_a_recently_resolved_alarms_records_and_deletes_an_old_resolved_ones(alice_code, settings):
    settings.KERYU_ATTEMPT_RETENTION_DAYS = settings.KERYU_MESSAGE_RETENTION_DAYS = 10
    now = timezone.now()
    recent = AlarmFactory(qr_code=alice_code, resolved_at=now - timedelta(days=2))
    old = AlarmFactory(qr_code=alice_code, resolved_at=now - timedelta(days=11))
    kept_attempt, kept_message = _attempt_with_message(recent, days_old=40)
    gone_attempt, gone_message = _attempt_with_message(old, days_old=40)
    assert maintenance.records_cleanup() == {"attempts": 1, "messages": 1}
    assert NotificationAttempt.objects.filter(pk=kept_attempt.pk).exists()
    assert Message.objects.filter(pk=kept_message.pk).exists()
    assert not NotificationAttempt.objects.filter(pk=gone_attempt.pk).exists()
    assert not Message.objects.filter(pk=gone_message.pk).exists()
    assert Alarm.objects.filter(pk=old.pk).exists()  # the alarm itself is history: never cleaned up
