"""Replies to alarm messages end to end: the alarm goes out through a provider's real adapter to its local fake,
the recipient answers through the provider's signed webhook, and the answer goes back (TwiML for Twilio, a
message of its own for Meta)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import NotificationStatus
from alerts.services import alarm_create, alarm_resolve, attempt_deliver, attempts_release_due
from messaging.formatting import address_hash
from messaging.models import FlaggedAddress, FlagReason, InboundMessage, Message
from messaging.services import (
    channel_order_set,
    inbound_answer_send,
    message_compose,
    message_send,
    meta_template_status_update,
)

pytestmark = pytest.mark.django_db

ROSA = "+525533334444"
TWILIO = "http://testserver/webhooks/twilio/"


def _post_twilio(client, fake_twilio, params: dict):
    body, headers = fake_twilio.signed(TWILIO, params)
    return client.post(
        "/webhooks/twilio/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
    )


def _post_meta(client, fake_meta, payload: dict):
    body, headers = fake_meta.signed(payload)
    return client.post(
        "/webhooks/whatsapp/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
    )


def test_a_contacts_no_conozco_by_sms_flags_the_number_and_the_escalation_goes_on(
    client, alice_code, contacts, fake_twilio
):
    """The issue's walk-through: a contact's "No conozco a esta persona" used to acknowledge the alarm, cancel
    everyone not yet messaged and be shown to the finder as the family's answer."""
    channel_order_set(keys=["twilio_sms"])
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt_deliver(attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
        clock.shift(timedelta(seconds=301))
        [rosa] = attempts_release_due()
        attempt_deliver(attempt_id=rosa)
        assert fake_twilio.requests[-1].form["To"] == "+5215533334444"
        response = _post_twilio(
            client, fake_twilio, fake_twilio.inbound_params("+5215533334444", "No conozco a esta persona")
        )
        alarm.refresh_from_db()
        assert alarm.acknowledged_at is None and alarm.acknowledgement_note == ""
        tom = alarm.attempts.get(recipient_name="Uncle Tom")
        assert tom.status == NotificationStatus.PENDING  # not cancelled
        clock.shift(timedelta(seconds=300))
        assert attempts_release_due() == [tom.pk]
        attempt_deliver(attempt_id=tom.pk)
    assert response.status_code == 200
    assert "No volveremos a enviar mensajes a este número" in response.content.decode()
    assert FlaggedAddress.objects.get(reason=FlagReason.WRONG_NUMBER).address_hash == address_hash(ROSA)
    sent_to = [r.form["To"] for r in fake_twilio.requests]
    assert sent_to.count("+5215533334444") == 1 and "+5215555556666" in sent_to


def test_a_twilio_whatsapp_reply_is_matched_by_its_original_replied_message_sid(
    client, alice_code, contacts, fake_twilio
):
    channel_order_set(keys=["twilio_whatsapp"])
    # Outside the 24-hour window only an approved Content template reaches WhatsApp (the fake refuses the rest).
    from messaging.models import MessageTemplate

    MessageTemplate.objects.filter(kind="INJURED").update(twilio_content_sid="HX" + "c" * 32)
    fake_twilio.approve_content("HX" + "c" * 32)
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    tom = alarm.attempts.get(recipient_name="Uncle Tom")
    attempt_deliver(attempt_id=tom.pk)
    tom.refresh_from_db()
    params = fake_twilio.inbound_params(
        "whatsapp:+5215555556666", "On my way", replied_to=tom.message.provider_message_id
    )
    response = _post_twilio(client, fake_twilio, params)
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == "Uncle Tom" and alarm.acknowledged_via == "reply"
    assert "Keryu: thank you. The alarm is acknowledged" in response.content.decode()
    assert InboundMessage.objects.get().in_reply_to == tom.message


def test_a_whatsapp_button_press_on_meta_acknowledges_and_is_answered_by_a_message(
    client, alice, alice_code, fake_meta, django_capture_on_commit_callbacks
):
    channel_order_set(keys=["meta_whatsapp"])
    meta_template_status_update(name="qr_template_on_m", language_code="es_MX", status="APPROVED")
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt = attempt_deliver(attempt_id=alarm.attempts.get().pk)
    wamid = attempt.message.provider_message_id
    sender = "521" + str(alice.custodian.phone_number)[3:]
    payload = fake_meta.inbound_payload(sender, "Voy", wamid="wamid.IN-button", context_id=wamid, button_payload="ACK")
    with django_capture_on_commit_callbacks() as queued:
        assert _post_meta(client, fake_meta, payload).status_code == 200
    alarm.refresh_from_db()
    assert alarm.acknowledged_via == "reply" and alarm.acknowledged_by == str(alice.custodian)
    inbound = InboundMessage.objects.get()
    assert (inbound.payload, inbound.context_provider_id, inbound.in_reply_to) == ("ACK", wamid, attempt.message)
    # Meta cannot carry an answer in the webhook's response: it is queued to go as a message of its own.
    assert len(queued) == 1
    answer = inbound_answer_send(inbound_id=inbound.pk)
    assert inbound_answer_send(inbound_id=inbound.pk) == answer  # a redelivered task sends nothing more
    request = fake_meta.requests[-1].json
    assert (request["type"], request["to"]) == ("text", sender)
    assert request["text"]["body"].startswith("Keryu: gracias. La alarma quedó confirmada")
    assert len(fake_meta.requests) == 2 and Message.objects.get(pk=answer.pk).owner == alice


def test_a_meta_reply_quoting_our_message_from_another_number_is_not_taken_as_that_recipients(
    client, alice, alice_code, fake_meta
):
    channel_order_set(keys=["meta_whatsapp"])
    meta_template_status_update(name="qr_template_on_m", language_code="es_MX", status="APPROVED")
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    attempt = attempt_deliver(attempt_id=alarm.attempts.get().pk)
    payload = fake_meta.inbound_payload(
        "5215599990000", "Voy", wamid="wamid.IN-other", context_id=attempt.message.provider_message_id
    )
    assert _post_meta(client, fake_meta, payload).status_code == 200
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert InboundMessage.objects.get().auto_reply.startswith("Keryu: este número no tiene una alarma abierta")


def test_an_sms_reply_after_the_alarm_was_resolved_acknowledges_nothing(
    client, alice, alice_code, contacts, fake_twilio
):
    channel_order_set(keys=["twilio_sms"])
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    attempt_deliver(attempt_id=alarm.attempts.get(recipient_name="Abuela Rosa").pk)
    alarm_resolve(alarm=alarm, user=alice, notes="Found at home")
    response = _post_twilio(client, fake_twilio, fake_twilio.inbound_params("+5215533334444", "Voy"))
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert "este número no tiene una alarma abierta" in response.content.decode()


def test_an_sms_reply_answers_the_open_alarm_even_after_a_later_message_about_something_else(
    client, alice, alice_code, contacts, fake_twilio
):
    channel_order_set(keys=["twilio_sms"])
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    attempt_deliver(attempt_id=alarm.attempts.get(recipient_name="Abuela Rosa").pk)
    notice = message_compose(kind="TEST", language="es", channel="twilio_sms", to=ROSA, context={}, owner=alice)
    message_send(message=notice)  # a drill or a notice, sent after the alarm message
    response = _post_twilio(client, fake_twilio, fake_twilio.inbound_params("+5215533334444", "Voy en camino"))
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == "Abuela Rosa"
    assert "La alarma quedó confirmada" in response.content.decode()
