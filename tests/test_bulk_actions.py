"""Wagtail's bulk-action URLs are doors too: Bob never sees Alice's alarms or messages through them."""

from __future__ import annotations

import pytest

from alerts.models import Alarm
from messaging.models import Message

from .factories import AlarmFactory

pytestmark = pytest.mark.django_db


def test_bob_cannot_open_bulk_delete_for_alices_alarm_or_message(client, alice, alice_code, bob):
    alarm = AlarmFactory(qr_code=alice_code)
    message = Message.objects.create(owner=alice, to="+525500000001", channel="development", content="Sofía is lost")
    client.force_login(bob)
    for url in [
        f"/admin/bulk/alerts/alarm/delete/?id={alarm.pk}",
        f"/admin/bulk/messaging/message/delete/?id={message.pk}",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Sofía" not in response.content.decode(), url


def test_staff_cannot_bulk_delete_alarms_either(client, staff, alice_code):
    """Alarms are append-only: the bulk delete is refused to everyone (tests/test_append_only.py)."""
    alarm = AlarmFactory(qr_code=alice_code)
    client.force_login(staff)
    assert client.get(f"/admin/bulk/alerts/alarm/delete/?id={alarm.pk}").status_code == 404
    assert client.post(f"/admin/bulk/alerts/alarm/delete/?id={alarm.pk}").status_code == 404
    assert Alarm.objects.filter(pk=alarm.pk).exists()


def test_staff_still_reach_bulk_delete_of_what_is_not_a_record(client, staff, alice_code):
    client.force_login(staff)
    response = client.get(f"/admin/bulk/registry/qrcode/delete/?id={alice_code.pk}")
    assert response.status_code == 200 and "Sofía" in response.content.decode()
