"""Recipients and urgency follow the finder's situation, as the (staff-editable) policy says."""

from __future__ import annotations

import pytest

from alerts.models import EscalationPolicy, NotificationStatus, RecipientKind
from alerts.services import alarm_create, alarm_test_create, attempt_deliver
from messaging.models import Message

pytestmark = pytest.mark.django_db


def _due(alarm):
    return {a.recipient_key for a in alarm.attempts.filter(not_before__isnull=True)}


def test_injured_goes_at_once_to_custodian_every_contact_and_the_doctor(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED", description="Fell off a bike")
    kinds = sorted(alarm.attempts.values_list("recipient_kind", flat=True))
    assert kinds == sorted(
        [RecipientKind.CUSTODIAN, RecipientKind.CONTACT, RecipientKind.CONTACT, RecipientKind.DOCTOR]
    )
    assert not alarm.attempts.filter(not_before__isnull=False).exists()


def test_lost_goes_to_the_custodian_now_and_schedules_contacts_one_after_another(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    assert _due(alarm) == {f"custodian:{alice_code.subject.custodian.pk}"}
    first, second = alarm.attempts.filter(recipient_kind=RecipientKind.CONTACT).order_by("not_before")
    assert first.contact == contacts[0] and second.contact == contacts[1]
    assert (first.not_before - alarm.timestamp).total_seconds() == 300
    assert (second.not_before - alarm.timestamp).total_seconds() == 600
    assert not alarm.attempts.filter(recipient_kind=RecipientKind.DOCTOR).exists()


def test_contact_escalates_more_slowly_than_lost(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="CONTACT")
    first = alarm.attempts.filter(recipient_kind=RecipientKind.CONTACT).order_by("not_before").first()
    assert (first.not_before - alarm.timestamp).total_seconds() == 1800


def test_staff_edits_to_the_policy_change_who_is_told(alice_code, contacts):
    EscalationPolicy.objects.filter(situation_type="LOST").update(contacts_at_once=True)
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    assert len(_due(alarm)) == 3


def test_test_alarm_goes_only_to_whoever_pressed_the_button_with_the_test_marker(alice, alice_code, contacts):
    alarm = alarm_test_create(qr_code=alice_code, user=alice)
    attempt = alarm.attempts.get()
    assert alarm.is_test and attempt.recipient_kind == RecipientKind.TRIGGER
    assert attempt_deliver(attempt_id=attempt.pk).status == NotificationStatus.SENT
    assert "PRUEBA" in Message.objects.get().content  # Alice reads Spanish; the test marker is in the text


def test_each_recipient_gets_their_own_language(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    for attempt in alarm.attempts.all():
        attempt_deliver(attempt_id=attempt.pk)
    tom = Message.objects.get(recipient_name="Uncle Tom")
    rosa = Message.objects.get(recipient_name="Abuela Rosa")
    assert "INJURY REPORTED" in tom.content and "LESIÓN" in rosa.content
    assert Message.objects.get(recipient_name="Dr. Ruiz").to == "+525511112222"


def test_every_message_carries_a_signed_acknowledgement_link(alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt_deliver(attempt_id=alarm.attempts.get().pk)
    assert "http://testserver/alerts/ack/" in Message.objects.get().content


def test_a_recipient_without_any_address_is_skipped_and_an_alarm_with_nobody_fails(alice_code):
    custodian = alice_code.subject.custodian
    custodian.phone_number = ""
    custodian.save()
    custodian.user.email = ""
    custodian.user.save()
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    alarm.refresh_from_db()
    assert not alarm.attempts.exists() and alarm.notification_status == NotificationStatus.FAILED
