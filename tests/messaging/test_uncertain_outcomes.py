"""A send whose answer was lost after the provider may have taken it is *uncertain*, never a plain retry.

Against the local fakes (Meta Graph API, Twilio's Messages resource, a small SMTP server): the request
reaches the provider, then the answer is lost (connection closed, read timeout, a proxy's bodiless 5xx).
A connection that was never made is a certain non-send and stays a retry.
"""

from __future__ import annotations

import pytest

from messaging.channels import ChannelError, ErrorAction, OutboundMessage
from messaging.channels.email import EmailChannel
from messaging.channels.meta_whatsapp import MetaWhatsAppChannel
from messaging.channels.twilio import TwilioSMSChannel
from messaging.models import Message, MessageStatus
from messaging.services import message_create, message_send, message_status_apply
from testkit.celery_worker import wait_for
from testkit.fakes.base import FakeServer, RecordedRequest, Reply
from testkit.fakes.smtp import FakeSMTP


def _meta_message(**kwargs) -> OutboundMessage:
    defaults = {
        "message_id": 42,
        "to": "+525512345678",
        "body": "ignored for templates",
        "whatsapp_template": "qr_template_on_m",
        "whatsapp_language": "es_MX",
        "whatsapp_parameters": ("Sofía", "2026-11-21 18:30"),
        "whatsapp_buttons": ("p-ack", "p-cant", "p-wrong", "tok.en"),
    }
    return OutboundMessage(**(defaults | kwargs))


def _sms(**kwargs) -> OutboundMessage:
    return OutboundMessage(**({"message_id": 9, "to": "+525512345678", "body": "Alarma: Sofía"} | kwargs))


def _error(send) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        send()
    return caught.value


# --- Meta ----------------------------------------------------------------------------------------------


def test_meta_accepting_then_dropping_the_connection_is_uncertain(fake_meta):
    fake_meta.accept_then_drop = True
    error = _error(lambda: MetaWhatsAppChannel().send(_meta_message()))
    assert error.action == ErrorAction.UNCERTAIN and error.uncertain
    assert len(fake_meta.requests) == 1 and len(fake_meta.accepted) == 1


def test_meta_bodiless_5xx_from_a_proxy_is_uncertain(fake_meta):
    fake_meta.proxy_error_next(502)
    assert _error(lambda: MetaWhatsAppChannel().send(_meta_message())).action == ErrorAction.UNCERTAIN


def test_meta_5xx_with_an_api_error_is_still_a_retry(fake_meta):
    fake_meta.fail_next(131000, status=500, message="Something went wrong")
    assert _error(lambda: MetaWhatsAppChannel().send(_meta_message())).action == ErrorAction.RETRY


def test_meta_refused_connection_is_a_certain_non_send(settings, fake_meta):
    settings.WHATSAPP_API_BASE_URL = "http://127.0.0.1:9"
    error = _error(lambda: MetaWhatsAppChannel().send(_meta_message()))
    assert error.action == ErrorAction.RETRY and not error.uncertain


class _Receiver(FakeServer):
    """Stands in for our webhook endpoint: records what the provider fake posts."""

    def handle(self, request: RecordedRequest) -> Reply:
        return Reply(200, {})


def test_the_meta_fake_can_still_send_the_receipt_of_an_answer_it_dropped(fake_meta):
    receiver = _Receiver().start()
    fake_meta.accept_then_drop, fake_meta.receipt_after = True, 0.1
    fake_meta.webhook_url = receiver.base_url + "/webhooks/whatsapp/"
    _error(lambda: MetaWhatsAppChannel().send(_meta_message(message_id=77)))
    try:
        [posted] = wait_for(lambda: receiver.requests, timeout=5)
    finally:
        receiver.stop()
    [status] = posted.json["entry"][0]["changes"][0]["value"]["statuses"]
    assert status["status"] == "delivered" and status["biz_opaque_callback_data"] == "77"


# --- Twilio (the SDK over requests) ----------------------------------------------------------------------


def test_twilio_accepting_then_dropping_the_connection_is_uncertain(fake_twilio):
    fake_twilio.accept_then_drop = True
    error = _error(lambda: TwilioSMSChannel().send(_sms()))
    assert error.action == ErrorAction.UNCERTAIN
    assert len(fake_twilio.requests) == 1 and len(fake_twilio.accepted) == 1


def test_twilio_bodiless_5xx_from_a_proxy_is_uncertain(fake_twilio):
    fake_twilio.proxy_error_next(504)
    assert _error(lambda: TwilioSMSChannel().send(_sms())).action == ErrorAction.UNCERTAIN


def test_twilio_5xx_with_an_api_error_is_still_a_retry(fake_twilio):
    fake_twilio.fail_next(20500, status=500, message="Internal Server Error")
    assert _error(lambda: TwilioSMSChannel().send(_sms())).action == ErrorAction.RETRY


def test_twilio_refused_connection_is_a_certain_non_send(settings, fake_twilio):
    settings.TWILIO_API_BASE_URL = "http://127.0.0.1:9"
    error = _error(lambda: TwilioSMSChannel().send(_sms()))
    assert error.action == ErrorAction.RETRY and not error.uncertain


# --- SMTP ------------------------------------------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    server = FakeSMTP().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    settings.DEFAULT_FROM_EMAIL = "alarms@keryu.test"
    yield server
    server.stop()


def _mail() -> OutboundMessage:
    return OutboundMessage(message_id=5, to="rosa@example.com", body="Alarma", subject="Keryu")


def test_smtp_server_closing_after_the_data_is_uncertain(smtp):
    smtp.drop_after_data = True
    error = _error(lambda: EmailChannel().send(_mail()))
    assert error.action == ErrorAction.UNCERTAIN
    assert len(smtp.messages) == 1  # the server had the whole message


def test_smtp_delivers_and_a_refused_connection_is_a_certain_non_send(smtp, settings):
    EmailChannel().send(_mail())
    assert len(smtp.messages) == 1
    settings.EMAIL_PORT = 9
    error = _error(lambda: EmailChannel().send(_mail()))
    assert error.action == ErrorAction.RETRY and not error.uncertain


# --- The message record ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_uncertain_send_leaves_the_message_pending_so_a_receipt_can_still_close_it(fake_twilio):
    fake_twilio.accept_then_drop = True
    message = message_create(to="+525512345678", channel="twilio_sms", content="Alarma")
    with pytest.raises(ChannelError):
        message_send(message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.PENDING and message.error_action == ErrorAction.UNCERTAIN
    assert message.provider_message_id is None
    [(request, body)] = fake_twilio.accepted
    assert request.form["StatusCallback"].endswith(f"?message={message.pk}")
    # The receipt names our id (the callback URL's query string): it closes the message though we never had the sid.
    sid, status = fake_twilio.receipt(request, body)
    assert message_status_apply(provider_message_id=sid, message_id=message.pk, status=status) is not None
    assert Message.objects.get(pk=message.pk).status == MessageStatus.DELIVERED


@pytest.mark.django_db
def test_a_receipt_racing_the_senders_write_of_the_provider_id_still_finds_the_message(monkeypatch):
    """Found by the spread drill (docs/soak.md): the receipt's lookup ran just before the worker committed the
    provider id, and the fallback lookup by our id (provider id still empty) just after; each missed, the
    receipt was dropped, and the WhatsApp follow-up sent the notice again by SMS."""
    from django.db.models.query import QuerySet

    message = message_create(to="+525512345678", channel="meta_whatsapp", content="Alarma")
    first, written = QuerySet.first, []

    def first_then_the_worker_commits(queryset):
        found = first(queryset)
        if queryset.model is Message and found is None and not written:
            written.append(Message.objects.filter(pk=message.pk).update(provider_message_id="wamid.RACE"))
        return found

    monkeypatch.setattr(QuerySet, "first", first_then_the_worker_commits)
    changed = message_status_apply(provider_message_id="wamid.RACE", message_id=message.pk, status="delivered")
    assert changed is not None
    assert Message.objects.get(pk=message.pk).status == MessageStatus.DELIVERED
