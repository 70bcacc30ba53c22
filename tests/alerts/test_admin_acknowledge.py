"""The Acknowledge button on an alarm's admin page: custodians on their own alarms, staff on any; another family's
alarm is refused. Acknowledging or resolving there changes what the finder's page says."""

from __future__ import annotations

from html import unescape

import pytest

from alerts.models import Alarm
from alerts.services import alarm_create, attempt_deliver
from home.views import progress_token

from ..factories import QRCodeFactory

pytestmark = pytest.mark.django_db


def _finder_page(client, alarm: Alarm) -> str:
    token = progress_token(alarm_id=alarm.pk, code=alarm.qr_code.uuid)
    return unescape(client.get(f"/scan/{alarm.qr_code.uuid}/sent/{token}/").content.decode())


def test_a_custodian_acknowledges_their_own_alarm_with_a_note_for_the_finder(client, alice, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    page = client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    assert f"alerts/alarms/{alarm.pk}/acknowledge/" in page and ">Acknowledge</button>" in page
    response = client.post(f"/admin/alerts/alarms/{alarm.pk}/acknowledge/", {"note": "Ya voy, 10 minutos"})
    assert response.status_code == 302
    alarm.refresh_from_db()
    assert (alarm.acknowledged_via, alarm.acknowledged_role, alarm.acknowledgement_note) == (
        "admin",
        "custodian",
        "Ya voy, 10 minutos",
    )
    assert (
        ">Acknowledge</button>" not in client.get(f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/").content.decode()
    )
    client.logout()
    html = _finder_page(client, alarm)
    assert "Acknowledged by a family member" in html and "Ya voy, 10 minutos" in html


def test_a_custodian_cannot_acknowledge_another_familys_alarm(client, bob, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    client.force_login(bob)
    assert client.post(f"/admin/alerts/alarms/{alarm.pk}/acknowledge/", {"note": "bob was here"}).status_code == 404
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None and alarm.acknowledgement_note == ""


def test_staff_acknowledge_any_alarm_and_the_finder_is_told_it_was_keryus_team(client, staff, bob_subject):
    alarm = alarm_create(qr_code=QRCodeFactory(subject=bob_subject), situation_type="INJURED")
    client.force_login(staff)
    assert client.post(f"/admin/alerts/alarms/{alarm.pk}/acknowledge/", {"note": ""}).status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_role == "staff"
    client.logout()
    assert "Acknowledged by Keryu's team" in _finder_page(client, alarm)


def test_resolving_in_the_admin_closes_the_finders_page_and_tells_them_by_text(client, alice, alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST", finder_phone="+14155550123")
    attempt_deliver(attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
    client.force_login(alice)
    response = client.post(f"/admin/alerts/alarms/{alarm.pk}/resolve/", {"resolution_notes": "She is home"})
    assert response.status_code == 302
    client.logout()
    html = _finder_page(client, alarm)
    assert "This alarm is closed" in html and "Closed by a family member" in html and "She is home" not in html
    assert list(alarm.notices.values_list("kind", flat=True)) == ["RESOLVED_FINDER"]  # nobody else was messaged
