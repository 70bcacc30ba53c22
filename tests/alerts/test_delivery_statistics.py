"""Statistics and staff's dashboard (issue 18 item 8): a cancelled attempt (the alarm was acknowledged before it
was due) is not a delivery, so it is neither a success nor a failure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alerts.models import NotificationAttempt, NotificationStatus
from alerts.selectors import alarm_statistics, alarms_visible_to, delivery_by_channel

from ..factories import AlarmFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered_and_cancelled(alice_code):
    alarm = AlarmFactory(qr_code=alice_code, timestamp=timezone.now() - timedelta(minutes=10))
    alarm.acknowledged_at = alarm.timestamp + timedelta(minutes=4)
    alarm.save(update_fields=["acknowledged_at"])
    NotificationAttempt.objects.create(
        alarm=alarm,
        recipient_key="custodian:1",
        channel="meta_whatsapp",
        status=NotificationStatus.DELIVERED,
        delivered_at=alarm.timestamp + timedelta(seconds=30),
    )
    NotificationAttempt.objects.create(
        alarm=alarm, recipient_key="contact:1", channel="meta_whatsapp", status=NotificationStatus.CANCELLED, wave=1
    )
    return alarm


def test_statistics_do_not_count_a_cancelled_attempt_as_a_failed_delivery(alice, delivered_and_cancelled):
    stats = alarm_statistics(alarms=alarms_visible_to(alice))
    assert stats.per_channel == [("meta_whatsapp", 1, 1)]  # was 2 attempts, 1 succeeded: 50 %


def test_the_statistics_page_shows_100_percent(client, alice, delivered_and_cancelled):
    client.force_login(alice)
    html = client.get(reverse("alerts_statistics")).content.decode()
    assert "<td>meta_whatsapp</td><td>1</td><td>1</td><td>100</td>" in html


def test_delivery_by_channel_over_24_hours_and_7_days(delivered_and_cancelled, alice_code):
    old = AlarmFactory(qr_code=alice_code, timestamp=timezone.now() - timedelta(days=3))
    NotificationAttempt.objects.create(
        alarm=old, recipient_key="custodian:1", channel="twilio_sms", status=NotificationStatus.FAILED
    )
    (day,) = delivery_by_channel(hours=24)
    assert (day.channel, day.attempts, day.succeeded, day.failed, day.success_percent) == (
        "meta_whatsapp",
        1,
        1,
        0,
        100,
    )
    assert day.median_to_delivered == 30 and day.median_to_acknowledged == 240
    week = {row.channel: row for row in delivery_by_channel(hours=24 * 7)}
    assert week["twilio_sms"].failed == 1 and week["twilio_sms"].success_percent == 0
