"""Keryu staff take over an alarm nobody acknowledged: their queue on both dashboards, acknowledging for the
family, recording the call to emergency services, a note. Custodians are refused (issue 15, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from alerts.models import Alarm, NotificationStatus, StaffEscalationStage
from alerts.selectors import alarm_timeline, alarms_unacknowledged_for_staff
from alerts.services import alarm_create
from alerts.services.alarms import alarm_staff_acknowledge
from alerts.services.escalation import staff_escalation_open
from alerts.services.notes import alarm_emergency_called

from ..factories import QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def _inspect(alarm: Alarm) -> str:
    return f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/"


@pytest.fixture
def handed(alice_code, contacts) -> Alarm:
    """Alice's LOST alarm, handed to staff with nobody having answered; contacts still scheduled."""
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    return alarm


def test_staff_see_the_unacknowledged_alarm_at_the_top_of_both_dashboards(client, staff, handed):
    client.force_login(staff)
    home = client.get("/admin/").content.decode()
    assert "Unacknowledged alarms (1)" in home
    assert home.index("keryu-unacknowledged") < home.index("keryu-totals")  # above every other panel
    assert _inspect(handed) in home and "Sofía Arroyo" in home
    ops = client.get("/ops/").content.decode()
    assert "Unacknowledged alarms (1)" in ops and _inspect(handed) in ops


def test_the_queue_puts_injured_alarms_first_then_the_longest_waiting(alice_subject, handed):
    other = QRCodeFactory(subject=SubjectFactory(custodian=alice_subject.custodian), is_active=True)
    injured = alarm_create(qr_code=other, situation_type="INJURED")
    staff_escalation_open(alarm_id=injured.pk, stage=StaffEscalationStage.INJURED)
    assert list(alarms_unacknowledged_for_staff()) == [injured, handed]


def test_custodians_see_no_staff_queue(client, alice, bob, handed):
    for user in (alice, bob):
        client.force_login(user)
        home = client.get("/admin/").content.decode()
        assert "Unacknowledged alarms" not in home and "keryu-unacknowledged" not in home
        assert "keryu-staff-open" not in home
        # Alice's console lists the alarm as one of her own open alarms; Bob's never does.
        assert (_inspect(handed) in home) is (user == alice)


def test_staff_acknowledge_for_the_family_from_the_alarm_page(client, staff, handed):
    client.force_login(staff)
    page = client.get(_inspect(handed)).content.decode()
    assert "Acknowledge for the family" in page and "Emergency services called" in page
    response = client.post(f"/admin/alerts/alarms/{handed.pk}/staff-acknowledge/", {"note": "Keryu called the family"})
    assert response.status_code == 302
    handed.refresh_from_db()
    assert handed.acknowledged_at is not None and handed.acknowledged_via == "staff"
    assert handed.acknowledged_by == staff.get_full_name()
    assert handed.acknowledgement_note == "Keryu called the family"
    # The escalation stops as for any acknowledgement: the contacts still scheduled are never messaged.
    assert set(handed.attempts.filter(recipient_kind="contact").values_list("status", flat=True)) == {
        NotificationStatus.CANCELLED
    }
    assert list(alarms_unacknowledged_for_staff()) == []
    texts = [entry.text for entry in alarm_timeline(alarm=handed)]
    assert f"Acknowledged by {staff.get_full_name()} (Keryu staff)" in texts
    assert "Handed to Keryu staff: Every round of the escalation policy done, nobody acknowledged" in texts
    page = client.get(_inspect(handed)).content.decode()
    assert "Acknowledge for the family" not in page  # done: the button goes


def test_a_second_acknowledgement_keeps_the_first(client, staff, handed):
    client.force_login(staff)
    acknowledged_at = timezone.now() - timedelta(minutes=1)
    Alarm.objects.filter(pk=handed.pk).update(acknowledged_at=acknowledged_at, acknowledged_by="Abuela Rosa")
    client.post(f"/admin/alerts/alarms/{handed.pk}/staff-acknowledge/", {"note": ""})
    handed.refresh_from_db()
    assert (handed.acknowledged_at, handed.acknowledged_by) == (acknowledged_at, "Abuela Rosa")


def test_staff_record_calling_emergency_services_once_with_notes(client, staff, handed):
    client.force_login(staff)
    url = f"/admin/alerts/alarms/{handed.pk}/emergency-called/"
    assert client.post(url, {"note": "911, report 4471"}).status_code == 302
    handed.refresh_from_db()
    first = handed.emergency_called_at
    assert first is not None and handed.emergency_called_by == staff.get_full_name()
    assert client.post(url, {"note": "Ambulance on its way"}).status_code == 302
    handed.refresh_from_db()
    assert handed.emergency_called_at == first  # recorded once; a later press only adds its note
    assert list(handed.notes.values_list("text", flat=True)) == [
        "Emergency services: 911, report 4471",
        "Emergency services: Ambulance on its way",
    ]
    texts = [entry.text for entry in alarm_timeline(alarm=handed)]
    assert f"Emergency services called by {staff.get_full_name()} (staff)" in texts
    assert list(alarms_unacknowledged_for_staff()) == [handed]  # still nobody's acknowledged it
    page = client.get(_inspect(handed)).content.decode()
    assert f"Emergency services called by {staff.get_full_name()}" in page


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_custodians_cannot_take_over_even_by_url(client, who, request, handed):
    """Alice's own alarm: she acknowledges as a recipient, never "for the family as staff"; Bob's is not his."""
    client.force_login(request.getfixturevalue(who))
    page = client.get(_inspect(handed))
    assert "Acknowledge for the family" not in page.content.decode()
    for action in ("staff-acknowledge", "emergency-called", "notes"):
        response = client.post(f"/admin/alerts/alarms/{handed.pk}/{action}/", {"note": "x", "text": "x"})
        assert response.status_code == 404, action
    handed.refresh_from_db()
    assert handed.acknowledged_at is None and handed.emergency_called_at is None
    assert not handed.notes.exists()


def test_the_take_over_services_refuse_anyone_but_staff(alice, handed):
    with pytest.raises(PermissionDenied):
        alarm_staff_acknowledge(alarm=handed, user=alice)
    with pytest.raises(PermissionDenied):
        alarm_emergency_called(alarm=handed, user=alice, note="x")
    handed.refresh_from_db()
    assert handed.acknowledged_at is None and handed.emergency_called_at is None
