"""A WhatsApp message not delivered within the policy's time is followed up on the next channel (SMS)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import NotificationStatus
from alerts.services import alarm_create, attempt_deliver, whatsapp_follow_up
from messaging.channels import REGISTRY
from messaging.channels.base import Channel, SendResult
from messaging.models import Message
from messaging.signals import message_status_changed

pytestmark = pytest.mark.django_db


class FakeWhatsApp(Channel):
    """Stands in for the WhatsApp adapter under its key; restored after the test."""

    key = "meta_whatsapp"

    def is_configured(self):
        return True

    def send(self, message):
        return SendResult(provider_message_id=f"wa-{message.message_id}")


class FakeSms(FakeWhatsApp):
    key = "twilio_sms"

    def send(self, message):
        return SendResult(provider_message_id=f"sms-{message.message_id}")


@pytest.fixture
def whatsapp_then_sms(settings):
    saved = {k: REGISTRY.get(k) for k in ("meta_whatsapp", "twilio_sms")}
    REGISTRY.update({"meta_whatsapp": FakeWhatsApp, "twilio_sms": FakeSms})
    settings.KERYU_CHANNEL_ORDER = ["meta_whatsapp", "twilio_sms"]
    # The policy's own timeout (120 s) is what these tests measure; the global cap (60 s by default) is
    # tests/messaging/test_provider_rules.py's.
    settings.KERYU_DELIVERY_RECEIPT_SECONDS = 600
    # Meta delivers only approved templates (messaging refuses the rest): approve the shipped ones.
    from messaging.models import MessageTemplate
    from messaging.services import meta_template_status_update

    for name, language in set(
        MessageTemplate.objects.exclude(whatsapp_template_name="").values_list(
            "whatsapp_template_name", "whatsapp_language_code"
        )
    ):
        meta_template_status_update(name=name, language_code=language, status="APPROVED")
    yield
    for key, cls in saved.items():
        if cls is None:
            REGISTRY.pop(key, None)
        else:
            REGISTRY[key] = cls


def test_undelivered_whatsapp_is_followed_by_sms_after_the_configured_time(alice_code, whatsapp_then_sms):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt_deliver(attempt_id=alarm.attempts.get().pk)
        clock.shift(timedelta(seconds=119))
        assert whatsapp_follow_up() == []
        clock.shift(timedelta(seconds=2))
        created = whatsapp_follow_up()
        assert len(created) == 1
        attempt_deliver(attempt_id=created[0])
        assert whatsapp_follow_up() == []  # once per recipient and channel
    sms = Message.objects.get(channel="twilio_sms")
    assert sms.to == str(alice_code.subject.custodian.phone_number) and sms.status == "sent"


def test_a_delivered_whatsapp_needs_no_follow_up(alice_code, whatsapp_then_sms):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt = attempt_deliver(attempt_id=alarm.attempts.get().pk)
        message_status_changed.send(sender=Message, message=attempt.message, status="delivered")
        clock.shift(timedelta(minutes=10))
        assert whatsapp_follow_up() == []
    assert alarm.attempts.get().status == NotificationStatus.DELIVERED
