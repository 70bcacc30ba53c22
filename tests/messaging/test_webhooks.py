"""Delivery webhooks: handshake, signatures over raw bytes, statuses that only move forward, inbound replies."""

from __future__ import annotations

import json

import pytest

from messaging.models import InboundMessage, Message, MessageStatus, MetaTemplateStatus
from messaging.services import message_compose
from messaging.signals import inbound_message_received, message_status_changed

pytestmark = pytest.mark.django_db

WHATSAPP = "/webhooks/whatsapp/"
TWILIO = "/webhooks/twilio/"


@pytest.fixture
def sent(alice):
    message = message_compose(
        kind="LOST", language="es", channel="meta_whatsapp", to="+525512345678", context={}, owner=alice
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, provider_message_id="wamid.ABC")
    message.refresh_from_db()
    return message


@pytest.fixture
def statuses():
    seen = []

    def receiver(sender, message, status, **kwargs):
        seen.append(status)

    message_status_changed.connect(receiver)
    yield seen
    message_status_changed.disconnect(receiver)


def _post_meta(client, fake_meta, payload: dict, signature: str | None = "good"):
    body, headers = fake_meta.signed(payload)
    extra = {}
    if signature == "good":
        extra["HTTP_X_HUB_SIGNATURE_256"] = headers["X-Hub-Signature-256"]
    elif signature is not None:
        extra["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(WHATSAPP, body, content_type="application/json", **extra)


def test_handshake_echoes_the_challenge_only_with_the_right_token(client, fake_meta):
    ok = client.get(
        WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": "meta-verify-token", "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = client.get(WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_a_good_signature_moves_the_status_and_announces_it(client, fake_meta, sent, statuses):
    assert _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "delivered")).status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED and sent.delivered_at
    assert statuses == ["delivered"]


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "md5=abc", ""])
def test_a_bad_or_missing_signature_is_403_and_changes_nothing(client, fake_meta, sent, statuses, signature):
    response = _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "read"), signature=signature)
    assert response.status_code == 403
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT and statuses == []


def test_the_signature_covers_the_raw_bytes_of_a_body_with_accents_and_emoji(client, fake_meta, sent):
    payload = fake_meta.inbound_payload("5215512345678", "Ya voy por Sofía 🙏 ¡gracias!", wamid="wamid.IN1")
    body = json.dumps(payload, ensure_ascii=False).encode()  # raw UTF-8, not \\u escapes
    assert "🙏".encode() in body
    from tests.fakes.meta import meta_signature

    good = client.post(
        WHATSAPP,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=meta_signature(body, fake_meta.app_secret),
    )
    assert good.status_code == 200
    assert InboundMessage.objects.get().body == "Ya voy por Sofía 🙏 ¡gracias!"
    # The same JSON re-serialised with escapes is different bytes: the old signature no longer fits.
    escaped = json.dumps(payload).encode()
    assert (
        client.post(
            WHATSAPP,
            escaped,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=meta_signature(body, fake_meta.app_secret),
        ).status_code
        == 403
    )


def test_duplicates_and_out_of_order_statuses_never_move_backwards(client, fake_meta, sent, statuses):
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "read"))
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "delivered"))  # late
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "read"))  # replay
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "sent"))
    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ and statuses == ["read"]


def test_an_unknown_id_gets_200_and_a_log_line(client, fake_meta, caplog):
    response = _post_meta(client, fake_meta, fake_meta.status_payload("wamid.NOPE", "delivered"))
    assert response.status_code == 200
    assert "unknown message provider_id=wamid.NOPE" in caplog.text


def test_a_status_that_beats_our_own_write_finds_the_message_by_callback_data(client, fake_meta, alice):
    message = message_compose(kind="LOST", language="es", channel="meta_whatsapp", to="+525512345678", context={})
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.EARLY", "delivered", biz_opaque=str(message.pk)))
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED and message.provider_message_id == "wamid.EARLY"


def test_async_131047_fails_the_message_with_a_switch_action(client, fake_meta, sent, statuses):
    errors = [{"code": 131047, "title": "Re-engagement message"}]
    _post_meta(client, fake_meta, fake_meta.status_payload("wamid.ABC", "failed", errors=errors))
    sent.refresh_from_db()
    assert (sent.status, sent.error_code, sent.error_action) == ("failed", "131047", "switch")
    assert statuses == ["failed"]


def test_an_inbound_reply_is_recorded_once_and_announced_with_the_message_it_answers(client, fake_meta, sent):
    seen = []

    def receiver(sender, inbound, in_reply_to, **kwargs):
        seen.append((inbound.pk, in_reply_to.pk if in_reply_to else None))

    inbound_message_received.connect(receiver)
    try:
        payload = fake_meta.inbound_payload("5215512345678", "OK", wamid="wamid.IN7")
        assert _post_meta(client, fake_meta, payload).status_code == 200
        assert _post_meta(client, fake_meta, payload).status_code == 200  # duplicate delivery
    finally:
        inbound_message_received.disconnect(receiver)
    inbound = InboundMessage.objects.get()
    assert inbound.in_reply_to == sent and inbound.owner == sent.owner
    assert seen == [(inbound.pk, sent.pk)]


def test_template_status_update_changes_the_approval(client, fake_meta):
    _post_meta(client, fake_meta, fake_meta.template_status_payload("qr_template_on_m", "es_MX", "APPROVED"))
    assert MetaTemplateStatus.objects.get().status == "APPROVED"
    _post_meta(
        client, fake_meta, fake_meta.template_status_payload("qr_template_on_m", "es_MX", "PAUSED", "LOW_QUALITY")
    )
    record = MetaTemplateStatus.objects.get()
    assert (record.status, record.reason) == ("PAUSED", "LOW_QUALITY")


# --- Twilio ---------------------------------------------------------------------------------------
@pytest.fixture
def twilio_sent(alice):
    message = message_compose(
        kind="LOST", language="es", channel="twilio_sms", to="+525512345678", context={}, owner=alice
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, provider_message_id="SM" + "a" * 32)
    message.refresh_from_db()
    return message


def _post_twilio(
    client,
    fake_twilio,
    params: dict,
    *,
    url: str = "http://testserver/webhooks/twilio/",
    signature: str | None = "good",
):
    body, headers = fake_twilio.signed(url, params)
    extra = {}
    if signature == "good":
        extra["HTTP_X_TWILIO_SIGNATURE"] = headers["X-Twilio-Signature"]
    elif signature is not None:
        extra["HTTP_X_TWILIO_SIGNATURE"] = signature
    path = url.removeprefix("http://testserver")
    return client.post(path, body, content_type="application/x-www-form-urlencoded", **extra)


def test_twilio_status_with_a_good_signature_moves_forward_only(client, fake_twilio, twilio_sent, statuses):
    sid = twilio_sent.provider_message_id
    assert _post_twilio(client, fake_twilio, fake_twilio.status_params(sid, "delivered")).status_code == 200
    _post_twilio(client, fake_twilio, fake_twilio.status_params(sid, "sent"))
    _post_twilio(client, fake_twilio, fake_twilio.status_params(sid, "delivered"))
    twilio_sent.refresh_from_db()
    assert twilio_sent.status == MessageStatus.DELIVERED and statuses == ["delivered"]


@pytest.mark.parametrize("signature", [None, "bm90IGEgc2lnbmF0dXJl"])
def test_twilio_bad_or_missing_signature_is_403(client, fake_twilio, twilio_sent, signature):
    params = fake_twilio.status_params(twilio_sent.provider_message_id, "delivered")
    assert _post_twilio(client, fake_twilio, params, signature=signature).status_code == 403
    twilio_sent.refresh_from_db()
    assert twilio_sent.status == MessageStatus.SENT


def test_twilio_signature_for_another_url_is_refused(client, fake_twilio, twilio_sent):
    params = fake_twilio.status_params(twilio_sent.provider_message_id, "delivered")
    body, headers = fake_twilio.signed("https://evil.example/webhooks/twilio/", params)
    response = client.post(
        TWILIO,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
    )
    assert response.status_code == 403


def test_twilio_forwarded_headers_count_only_when_the_proxy_is_trusted(client, fake_twilio, twilio_sent, settings):
    settings.TWILIO_STATUS_CALLBACK_BASE_URL = ""
    params = fake_twilio.status_params(twilio_sent.provider_message_id, "delivered")
    body, headers = fake_twilio.signed("https://keryu.example/webhooks/twilio/", params)
    kwargs = {
        "content_type": "application/x-www-form-urlencoded",
        "HTTP_X_TWILIO_SIGNATURE": headers["X-Twilio-Signature"],
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "keryu.example",
    }
    assert client.post(TWILIO, body, **kwargs).status_code == 403
    settings.MESSAGING_WEBHOOK_TRUST_FORWARDED = True
    assert client.post(TWILIO, body, **kwargs).status_code == 200


def test_twilio_async_undelivered_with_30410_is_a_switch(client, fake_twilio, twilio_sent):
    params = fake_twilio.status_params(twilio_sent.provider_message_id, "undelivered", error_code=30410)
    _post_twilio(client, fake_twilio, params)
    twilio_sent.refresh_from_db()
    assert (twilio_sent.status, twilio_sent.error_code, twilio_sent.error_action) == ("undelivered", "30410", "switch")


def test_twilio_async_30003_is_retried_once_then_switches(client, fake_twilio, twilio_sent, alice):
    _post_twilio(
        client, fake_twilio, fake_twilio.status_params(twilio_sent.provider_message_id, "failed", error_code=30003)
    )
    twilio_sent.refresh_from_db()
    assert twilio_sent.error_action == "retry"
    second = message_compose(
        kind="LOST", language="es", channel="twilio_sms", to="+525512345678", context={}, owner=alice
    )
    Message.objects.filter(pk=second.pk).update(status=MessageStatus.SENT, provider_message_id="SM" + "b" * 32)
    _post_twilio(client, fake_twilio, fake_twilio.status_params("SM" + "b" * 32, "failed", error_code=30003))
    second.refresh_from_db()
    assert second.error_action == "switch"


def test_twilio_inbound_sms_reply_is_recorded_once(client, fake_twilio, twilio_sent):
    params = fake_twilio.inbound_params("+5215512345678", "Voy en camino 🚗", to="+15005550006")
    assert _post_twilio(client, fake_twilio, params).status_code == 200
    assert _post_twilio(client, fake_twilio, params).status_code == 200
    inbound = InboundMessage.objects.get()
    assert inbound.channel == "twilio_sms" and inbound.in_reply_to == twilio_sent and inbound.body == "Voy en camino 🚗"


def test_webhooks_need_no_csrf_token_but_still_need_the_signature(fake_meta, sent):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    body, headers = fake_meta.signed(fake_meta.status_payload("wamid.ABC", "delivered"))
    ok = strict.post(
        WHATSAPP, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"]
    )
    assert ok.status_code == 200
    assert strict.post(WHATSAPP, body, content_type="application/json").status_code == 403


def test_the_handshake_is_refused_when_no_verify_token_is_configured(client, settings):
    settings.WHATSAPP_VERIFY_TOKEN = ""
    response = client.get(WHATSAPP, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


def test_a_twilio_whatsapp_reply_to_a_specific_message_is_linked_to_it(client, fake_twilio, alice):
    message = message_compose(
        kind="LOST", language="es", channel="twilio_whatsapp", to="+525512345678", context={}, owner=alice
    )
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.SENT, provider_message_id="SM" + "c" * 32)
    params = fake_twilio.inbound_params("whatsapp:+5215512345678", "Enterado", replied_to="SM" + "c" * 32)
    assert _post_twilio(client, fake_twilio, params).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.channel, inbound.in_reply_to_id, inbound.owner) == ("twilio_whatsapp", message.pk, alice)


def test_a_reply_from_a_stranger_is_recorded_and_announced_without_a_message(client, fake_twilio):
    seen = []

    def receiver(sender, inbound, in_reply_to, **kwargs):
        seen.append(in_reply_to)

    inbound_message_received.connect(receiver)
    try:
        params = fake_twilio.inbound_params("+14155550199", "who is this?")
        assert _post_twilio(client, fake_twilio, params).status_code == 200
    finally:
        inbound_message_received.disconnect(receiver)
    assert seen == [None] and InboundMessage.objects.get().owner is None
