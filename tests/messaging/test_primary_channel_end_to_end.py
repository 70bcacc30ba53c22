"""Done-when, end to end: staff switch the primary channel in /ops/, a finder scans, a real Celery worker
sends the alarm through the new primary channel's real adapter to its local fake."""

from __future__ import annotations

import pytest
from django.conf import settings

from messaging.models import ChannelSetting, Message, MessageStatus
from messaging.services import channel_order_set
from testkit.celery_worker import running_worker, wait_for
from testkit.fakes.worker_env import worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_after_staff_make_twilio_sms_primary_the_next_alarm_goes_out_by_sms(
    client, staff, alice, alice_code, fake_twilio
):
    channel_order_set(keys=["development", "twilio_sms"])
    client.force_login(staff)
    rows = list(ChannelSetting.objects.order_by("pk"))
    positions = {"twilio_sms": "1", "development": "2"}
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-position"] = positions.get(row.key, "")
    assert client.post("/ops/messaging/channelsetting/", data).status_code == 302
    client.logout()

    with running_worker(env=worker_env(settings)) as worker:
        response = client.post(
            f"/scan/{alice_code.uuid}/",
            {"situation_type": "LOST", "description": "Near the fountain", "location": "Parque México"},
        )
        assert response.status_code == 302
        try:
            message = wait_for(lambda: Message.objects.filter(status=MessageStatus.SENT).first(), timeout=15)
        except AssertionError:
            raise AssertionError("no SENT message; worker said:\n" + worker.output) from None
    assert message.channel == "twilio_sms" and message.provider_message_id.startswith("SM")
    [request] = fake_twilio.requests
    assert request.form["To"] == "+521" + str(alice.custodian.phone_number)[3:]
    assert "Near the fountain" in request.form["Body"]
