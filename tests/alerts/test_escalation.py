"""No acknowledgement: the next contact is notified at the configured time; acknowledging stops it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alarm, NotificationAttempt, NotificationStatus
from alerts.services import (
    ack_token,
    alarm_create,
    alarms_escalate,
    attempt_deliver,
    attempts_release_due,
    inbound_handle,
)
from alerts.services.finder_state import FinderStep, finder_state
from messaging.models import InboundMessage, Message
from messaging.services import channel_order_set, meta_template_status_update
from messaging.signals import message_status_changed

pytestmark = pytest.mark.django_db


def _deliver(ids):
    for pk in ids:
        attempt_deliver(attempt_id=pk)


def _contact_names():
    return set(
        Message.objects.filter(recipient_name__in=["Abuela Rosa", "Uncle Tom"]).values_list("recipient_name", flat=True)
    )


def test_no_acknowledgement_reaches_the_next_contact_at_the_configured_time(alice_code, contacts):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _deliver([alarm.attempts.get(recipient_kind="custodian").pk])
        clock.shift(timedelta(seconds=299))
        assert attempts_release_due() == []
        clock.shift(timedelta(seconds=2))
        released = attempts_release_due()
        assert len(released) == 1
        _deliver(released)
        assert _contact_names() == {"Abuela Rosa"}
        clock.shift(timedelta(seconds=300))
        _deliver(attempts_release_due())
        assert _contact_names() == {"Abuela Rosa", "Uncle Tom"}


def test_acknowledging_by_link_stops_the_escalation(client, alice_code, contacts):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST", description="Near the fountain")
        attempt = alarm.attempts.get(recipient_kind="custodian")
        _deliver([attempt.pk])
        page = client.get(f"/alerts/ack/{ack_token(attempt)}/")
        assert page.status_code == 200 and "Near the fountain" in page.content.decode()
        response = client.post(f"/alerts/ack/{ack_token(attempt)}/", {"note": "On my way, 10 minutes"})
        assert response.status_code == 200
        clock.shift(timedelta(hours=2))
        assert attempts_release_due() == []
        assert alarms_escalate() == []
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is not None and alarm.acknowledged_via == "link"
    assert alarm.acknowledged_by == str(alice_code.subject.custodian)
    assert set(alarm.attempts.filter(recipient_kind="contact").values_list("status", flat=True)) == {
        NotificationStatus.CANCELLED
    }
    assert _contact_names() == set()
    state = finder_state(alarm=alarm)
    assert (state.state, state.acknowledged_role, state.note) == (
        FinderStep.ACKNOWLEDGED,
        "custodian",
        "On my way, 10 minutes",
    )


def test_a_tampered_or_unknown_link_is_not_found(client, alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    token = ack_token(alarm.attempts.get())
    assert client.get(f"/alerts/ack/{token[:-2]}xx/").status_code == 404
    assert client.get(f"/alerts/ack/{alarm.pk}.{alarm.attempts.get().pk}/").status_code == 404
    assert client.post(f"/alerts/ack/{token}x/").status_code == 404
    assert not Alarm.objects.get().acknowledged_at


def test_an_acknowledging_reply_acknowledges_and_its_text_is_relayed_to_the_finder(alice_code, contacts):
    # Issue 15: a reply acknowledges only when it says so ("voy", "on my way", ...); free text is a note
    # (tests/alerts/test_reply_intents.py). The doctor quotes the alarm message (WhatsApp's reply context).
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    doctor = alarm.attempts.get(recipient_kind="doctor")
    attempt_deliver(attempt_id=doctor.pk)
    doctor.refresh_from_db()
    inbound = InboundMessage(
        body="Doctor here, on my way: keep him still, I am calling 911",
        in_reply_to=doctor.message,
        context_provider_id=doctor.message.provider_message_id,
        from_address="+525511112222",
    )
    inbound_handle(message=inbound)
    alarm.refresh_from_db()
    assert alarm.acknowledged_via == "reply" and alarm.acknowledged_by == "Dr. Ruiz"
    assert finder_state(alarm=alarm).note.startswith("Doctor here")


def test_a_reply_to_something_else_acknowledges_nothing(alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    inbound_handle(message=InboundMessage(body="hi", in_reply_to=None))
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None


def test_no_acknowledgement_renotifies_on_the_next_channel_up_to_the_depth(alice_code, recording):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _deliver(alarm.attempts.values_list("pk", flat=True))
        clock.shift(timedelta(seconds=599))
        assert alarms_escalate() == []
        clock.shift(timedelta(seconds=2))
        created = alarms_escalate()
        assert len(created) == 1
        _deliver(created)
        assert len(recording.calls) == 1  # the custodian again, on the next channel
        clock.shift(timedelta(hours=1))
        assert alarms_escalate() == []  # no channel left for this recipient; depth bounds the rounds
    alarm.refresh_from_db()
    assert alarm.escalation_level == 2


def test_delivery_news_moves_the_attempt_and_an_undelivered_message_falls_back(alice_code, recording):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt = attempt_deliver(attempt_id=alarm.attempts.get().pk)
    message_status_changed.send(sender=Message, message=attempt.message, status="undelivered")
    attempt.refresh_from_db()
    assert attempt.status == NotificationStatus.UNDELIVERED
    fallback = alarm.attempts.get(channel="recording")
    attempt_deliver(attempt_id=fallback.pk)
    fallback.refresh_from_db()
    message_status_changed.send(sender=Message, message=fallback.message, status="delivered")
    fallback.refresh_from_db()
    alarm.refresh_from_db()
    assert fallback.status == NotificationStatus.DELIVERED and fallback.delivered_at
    assert alarm.notification_status == NotificationStatus.DELIVERED


def test_escalation_renotifies_a_custodian_on_the_next_channel_of_the_family_they_prefer(
    alice_code, fake_meta, fake_twilio
):
    # Staff put SMS first; Alice prefers WhatsApp, so she is told on Meta WhatsApp first. Unacknowledged, the
    # escalation must keep her preference too (Twilio WhatsApp next), not fall back to staff's bare order.
    channel_order_set(keys=["twilio_sms", "meta_whatsapp", "twilio_whatsapp"])
    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="qr_template_on_m", language_code=language, status="APPROVED")
    assert alice_code.subject.custodian.preferred_channel == "whatsapp"
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        first = alarm.attempts.get()
        assert first.channel == "meta_whatsapp"
        assert attempt_deliver(attempt_id=first.pk).status == NotificationStatus.SENT
        clock.shift(timedelta(seconds=601))
        created = alarms_escalate()
    assert [NotificationAttempt.objects.get(pk=pk).channel for pk in created] == ["twilio_whatsapp"]
