"""Delivery webhooks: handshake, signatures over raw bytes, statuses that only move forward, inbound replies."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

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
    from testkit.fakes.meta import meta_signature

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


# --- Any shape of signed input ------------------------------------------------------------------
# Meta's envelope words, so generated payloads reach the inner levels (entry -> changes -> value -> items)
# instead of stopping at the first unknown key.
META_KEYS = st.sampled_from(
    ["entry", "changes", "field", "value", "statuses", "messages", "id", "status", "errors", "code", "title",
     "biz_opaque_callback_data", "from", "text", "body", "button", "context", "message_template_name",
     "message_template_language", "event", "reason", "message_template_id"]
)  # fmt: skip
META_WORDS = st.sampled_from(["messages", "message_template_status_update", "delivered", "failed", "read", "sent"])
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8) | META_WORDS
ANY_JSON = st.recursive(
    JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(META_KEYS | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=30,
)
FUZZ = hypothesis_settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same payloads every run
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(payload=ANY_JSON)
def test_any_signed_json_is_answered_200_never_500(fake_meta, sent, payload):
    raw = Client(raise_request_exception=False)
    body, headers = fake_meta.signed(payload)
    response = raw.post(
        WHATSAPP, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"]
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "payload",
    [[1, 2], {"entry": "abc"}, {"entry": [{"changes": "abc"}]}, {"entry": [None, 3]}, "entry", 7, None,
     {"entry": [{"changes": [{"field": "messages", "value": {"statuses": "abc", "messages": {"a": 1}}}]}]},
     {"entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"status": "failed", "errors": 5}]}}]}]},
     {"entry": [{"changes": [{"field": "message_template_status_update", "value": [1]}]}]}],
)  # fmt: skip
def test_oddly_shaped_signed_payloads_are_200(client, fake_meta, payload):
    assert _post_meta(Client(raise_request_exception=False), fake_meta, payload).status_code == 200


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000, b""])
def test_unreadable_signed_json_is_400(fake_meta, body):
    from testkit.fakes.meta import meta_signature

    response = Client(raise_request_exception=False).post(
        WHATSAPP,
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=meta_signature(body, fake_meta.app_secret),
    )
    assert response.status_code == 400


def test_a_garbage_item_is_skipped_and_the_next_item_of_the_batch_applied(client, fake_meta, sent, statuses, caplog):
    good = fake_meta.status_payload("wamid.ABC", "delivered")["entry"][0]
    good["changes"][0]["value"]["statuses"].insert(0, "not a status")
    payload = {"object": "whatsapp_business_account", "entry": [{"changes": "abc"}, good]}
    assert _post_meta(Client(raise_request_exception=False), fake_meta, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED and statuses == ["delivered"]
    # Logged by position and shape only: nothing of the item's content.
    assert "skipped entry[0].changes (a list was expected, not str)" in caplog.text
    assert "skipped entry[1].changes[0].statuses[0] (an object was expected, not str)" in caplog.text
    assert "not a status" not in caplog.text


def test_an_item_the_database_refuses_is_rolled_back_alone(client, fake_meta, sent, statuses):
    """A reply whose id is longer than any real one fails at the database; its savepoint keeps the batch going."""
    refused = fake_meta.inbound_payload("5215512345678", "OK", wamid="wamid." + "X" * 300)["entry"][0]
    payload = {"entry": [refused, fake_meta.status_payload("wamid.ABC", "read")["entry"][0]]}
    assert _post_meta(Client(raise_request_exception=False), fake_meta, payload).status_code == 200
    sent.refresh_from_db()
    assert sent.status == MessageStatus.READ and not InboundMessage.objects.exists()


TWILIO_KEYS = st.sampled_from(
    ["MessageSid", "SmsSid", "MessageStatus", "ErrorCode", "Body", "From", "OriginalRepliedMessageSid", "To"]
)
TWILIO_VALUES = st.text(max_size=12) | st.sampled_from(["delivered", "failed", "undelivered", "30003", "whatsapp:"])


@FUZZ
@given(params=st.dictionaries(TWILIO_KEYS | st.text(min_size=1, max_size=4), TWILIO_VALUES, max_size=6))
def test_any_signed_twilio_form_is_answered_200_never_500(fake_twilio, twilio_sent, params):
    raw = Client(raise_request_exception=False)
    body, headers = fake_twilio.signed("http://testserver/webhooks/twilio/", params)
    response = raw.post(
        TWILIO,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
    )
    assert response.status_code == 200


def test_a_twilio_reply_the_database_refuses_is_200(client, fake_twilio):
    params = fake_twilio.inbound_params("+14155550199", "hola\x00")
    assert _post_twilio(Client(raise_request_exception=False), fake_twilio, params).status_code == 200
