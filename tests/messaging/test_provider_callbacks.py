"""The fakes call our webhooks over real HTTP, as providers do: accepted first, failed later.

Meta accepts a text outside the 24-hour window and reports 131047 only in the status webhook; Twilio
accepts a plain WhatsApp body and reports 63016 in its status callback.
"""

from __future__ import annotations

import pytest

from messaging.models import Message, MessageStatus
from messaging.services import message_compose, message_send
from testkit.celery_worker import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _failed(pk: int) -> Message | None:
    return Message.objects.filter(pk=pk, status=MessageStatus.FAILED).first()


def _our_window_open(address: str, channel: str) -> None:
    """Our record says the number wrote within 24 hours, the provider disagrees (it keeps its own clock): the
    text goes, and the provider's verdict comes back by webhook."""
    from django.utils import timezone

    from messaging.formatting import address_hash
    from messaging.models import ConversationWindow

    ConversationWindow.objects.create(
        address_hash=address_hash(address), channel=channel, last_inbound_at=timezone.now()
    )


def test_meta_accepts_a_text_then_reports_131047_and_the_message_fails_with_switch(live_server, fake_meta):
    fake_meta.window_open = False
    fake_meta.webhook_url = f"{live_server.url}/webhooks/whatsapp/"
    _our_window_open("+525512345678", "meta_whatsapp")
    message = message_compose(
        kind="RESOLVED_FINDER",
        language="es",
        channel="meta_whatsapp",
        to="+525512345678",
        context={},
    )
    message = message_send(message=message)
    assert message.status == MessageStatus.SENT  # "accepted" is not "delivered"
    failed = wait_for(lambda: _failed(message.pk), timeout=5)
    assert (failed.error_code, failed.error_action) == ("131047", "switch")


def test_twilio_accepts_a_plain_whatsapp_body_then_reports_63016(live_server, fake_twilio, settings):
    settings.TWILIO_STATUS_CALLBACK_BASE_URL = live_server.url
    fake_twilio.whatsapp_session_open = False
    _our_window_open("+525512345678", "twilio_whatsapp")
    message = message_compose(
        kind="VERIFICATION_CODE",
        language="es",
        channel="twilio_whatsapp",
        to="+525512345678",
        context={"code": "123456", "minutes": "10"},
    )
    message = message_send(message=message)
    assert message.status == MessageStatus.SENT
    failed = wait_for(lambda: _failed(message.pk), timeout=5)
    assert (failed.error_code, failed.error_action) == ("63016", "switch")


def test_an_inbound_whatsapp_reply_sent_by_the_fake_is_recorded(live_server, fake_meta, alice):
    from messaging.models import InboundMessage

    message = message_compose(
        kind="LOST", language="es", channel="meta_whatsapp", to="+525512345678", context={}, owner=alice
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, provider_message_id="wamid.OUT1")
    status = fake_meta.send_inbound(
        f"{live_server.url}/webhooks/whatsapp/", "5215512345678", "Recibido 👍", context_id="wamid.OUT1"
    )
    assert status == 200
    inbound = InboundMessage.objects.get()
    assert inbound.in_reply_to_id == message.pk and inbound.owner == alice
