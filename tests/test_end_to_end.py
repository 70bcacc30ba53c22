"""The main job, end to end: a finder scans, an alarm is stored, a real worker sends, the custodian sees it."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, NotificationStatus
from messaging.models import Message, MessageStatus
from testkit.celery_worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_scan_stores_alarm_and_a_real_worker_sends_the_message_the_custodian_then_sees(client, alice, alice_code):
    with running_worker() as worker:
        response = client.post(
            f"/scan/{alice_code.uuid}/",
            {"situation_type": "LOST", "description": "Crying near the fountain", "location": "Parque México",
             "latitude": "19.411800", "longitude": "-99.169700"},
        )  # fmt: skip
        assert response.status_code == 302
        alarm = Alarm.objects.get()
        assert (alarm.situation_type, alarm.location, str(alarm.latitude)) == ("LOST", "Parque México", "19.411800")

        # The message is marked SENT first, the attempt and the alarm a moment later: wait for the last write.
        reached = Alarm.objects.filter(pk=alarm.pk, notification_status=NotificationStatus.SENT)
        try:
            wait_for(reached.exists, timeout=10)
        except AssertionError:
            raise AssertionError("alarm not reached; worker said:\n" + worker.output) from None
        message = Message.objects.get(status=MessageStatus.SENT)
        assert message.owner == alice
        assert "Sofía" in message.content and "Crying near the fountain" in message.content
        assert message.provider_message_id.startswith("dev-")
        # messaging commits the message's SENT first; alerts rolls it up to the attempt and the alarm just after.
        wait_for(
            lambda: Alarm.objects.filter(pk=alarm.pk, notification_status=NotificationStatus.SENT).exists(), timeout=10
        )
        assert alarm.attempts.get().status == NotificationStatus.SENT
        assert "alerts.deliver_attempt" in worker.output

    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # her console in English
    client.force_login(alice)
    page = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Crying near the fountain" in html and "Sent" in html
