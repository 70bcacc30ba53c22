"""Verification codes that arrive (issue 16, item 1): a brand-new number gets its code as Meta's authentication
template, then by SMS when WhatsApp refuses it, fails it by webhook or stays silent; Twilio Verify's limits (10
minutes, 5 sends, 5 checks). Against the local Meta and Twilio fakes, which enforce the template and the rates."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from accounts import services
from accounts.models import PhoneCode, PhoneCodeSend
from accounts.tasks import verification_fallback_task
from messaging.models import Message, MessageStatus
from messaging.services import channel_order_set, meta_template_status_update
from registry.models import Custodian

pytestmark = pytest.mark.django_db

E164 = "+525512345678"
WHATSAPP_WEBHOOK = "/webhooks/whatsapp/"


@pytest.fixture
def providers(fake_meta, fake_twilio, settings):
    """Meta first, SMS next; the authentication template approved in both languages; the window closed (a new
    custodian never wrote to us): a free-form text would fail, only the template arrives."""
    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    for language in ("es_MX", "en_US"):
        meta_template_status_update(name="keryu_verification_code", language_code=language, status="APPROVED")
    fake_meta.window_open = False
    fake_twilio.whatsapp_session_open = False
    return fake_meta, fake_twilio


def _signup(client, signup_data, **changes) -> User:
    response = client.post("/accounts/signup/", {**signup_data, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email=signup_data["email"])


def _meta_code(fake_meta, index: int = -1) -> str:
    template = fake_meta.requests[index].json["template"]
    return template["components"][0]["parameters"][0]["text"]


def _sms_codes(fake_twilio) -> list[str]:
    import re

    return [re.search(r"\b(\d{6})\b", r.form["Body"]).group(1) for r in fake_twilio.requests]


def _post_meta_status(client, fake_meta, wamid: str, status: str, **kwargs):
    body, headers = fake_meta.signed(fake_meta.status_payload(wamid, status, **kwargs))
    return client.post(
        WHATSAPP_WEBHOOK, body, content_type="application/json", HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"]
    )


def _whatsapp_send(user: User) -> PhoneCodeSend:
    return PhoneCodeSend.objects.get(phone_code__user=user, channel="meta_whatsapp")


def test_a_new_number_gets_its_code_as_an_authentication_template_with_a_copy_code_button(
    client, signup_data, providers
):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    [request] = fake_meta.requests
    sent = request.json
    assert sent["type"] == "template" and "text" not in sent
    template = sent["template"]
    assert (template["name"], template["language"]["code"]) == ("keryu_verification_code", "es_MX")
    code = _meta_code(fake_meta)
    assert template["components"][1] == {
        "type": "button",
        "sub_type": "url",
        "index": "0",
        "parameters": [{"type": "text", "text": code}],
    }
    assert b"http" not in request.body  # no links in a code
    assert fake_twilio.requests == []

    page = client.get("/accounts/signup/phone/").content.decode()
    assert "We sent a code by WhatsApp to your number ending in 5678" in page
    assert "Send by SMS instead" in page
    response = client.post("/accounts/signup/phone/", {"code": code})
    assert response["Location"] == "/accounts/signup/done/"
    assert Custodian.objects.get(user=user).phone_verified_at is not None


def test_the_template_goes_in_the_custodians_language(client, signup_data, providers):
    fake_meta, _ = providers
    _signup(client, signup_data, language="en")
    assert fake_meta.requests[0].json["template"]["language"]["code"] == "en_US"


def test_a_whatsapp_refusal_sends_the_code_by_sms_at_once(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    fake_meta.fail_next(131026, message="Message undeliverable")
    user = _signup(client, signup_data)
    [code] = _sms_codes(fake_twilio)
    assert fake_twilio.requests[0].form["To"] == "+5215512345678"
    page = client.get("/accounts/signup/phone/").content.decode()
    assert "We sent a code by SMS to your number ending in 5678" in page
    assert "Send by SMS instead" not in page
    client.post("/accounts/signup/phone/", {"code": code})
    assert Custodian.objects.get(user=user).phone_verified_at is not None


def test_an_unapproved_authentication_template_is_never_sent_and_sms_takes_over(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    meta_template_status_update(name="keryu_verification_code", language_code="es_MX", status="PAUSED")
    _signup(client, signup_data)
    assert fake_meta.requests == []
    assert len(_sms_codes(fake_twilio)) == 1


def test_a_whatsapp_code_failed_by_webhook_goes_again_by_sms_and_either_code_works(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    whatsapp_code = _meta_code(fake_meta)
    message = _whatsapp_send(user).message
    response = _post_meta_status(
        client, fake_meta, message.provider_message_id, "failed", errors=[{"code": 131026, "title": "Undeliverable"}]
    )
    assert response.status_code == 200
    assert len(_sms_codes(fake_twilio)) == 1
    assert PhoneCodeSend.objects.filter(phone_code__user=user).count() == 2
    # A second failed webhook (a replay) sends nothing more.
    _post_meta_status(client, fake_meta, message.provider_message_id, "failed", errors=[{"code": 131026}])
    assert len(fake_twilio.requests) == 1
    services.phone_code_verify(user=user, e164=E164, code=whatsapp_code)  # it arrived late after all: still good
    assert PhoneCode.objects.get(user=user).used_at is not None


def test_a_silent_whatsapp_code_goes_by_sms_after_the_setting(client, signup_data, providers, settings):
    _, fake_twilio = providers
    assert settings.KERYU_VERIFICATION_WHATSAPP_SECONDS == 60
    user = _signup(client, signup_data)
    send = _whatsapp_send(user)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        verification_fallback_task(send.pk)  # what the worker runs after the countdown: no receipt, so SMS
    assert len(fake_twilio.requests) == 1
    [sms_code] = _sms_codes(fake_twilio)
    verification_fallback_task(send.pk)  # redelivered task: once per WhatsApp send
    assert len(fake_twilio.requests) == 1
    client.post("/accounts/signup/phone/", {"code": sms_code})
    assert Custodian.objects.get(user=user).phone_verified_at is not None


def test_a_delivered_whatsapp_code_is_not_sent_again(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    send = _whatsapp_send(user)
    _post_meta_status(client, fake_meta, send.message.provider_message_id, "read")  # "delivered" skipped
    assert Message.objects.get(pk=send.message_id).status == MessageStatus.READ
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        verification_fallback_task(send.pk)
    assert fake_twilio.requests == []


def test_the_silence_check_is_queued_with_the_settings_countdown(
    client, signup_data, providers, django_capture_on_commit_callbacks
):
    """The check rides the broker with its countdown (an ETA), so a worker runs it 60 s after the send."""
    import json

    import redis

    from keryu_site.celery import app as celery_app
    from testkit.celery_worker import purge_queue

    if not celery_app.conf.broker_url.startswith("redis"):
        pytest.skip("reads the queue as Redis keeps it")
    purge_queue()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            user = _signup(client, signup_data)
        send = _whatsapp_send(user)
        broker = redis.Redis.from_url(celery_app.conf.broker_url)
        prefix = celery_app.conf.broker_transport_options.get("global_keyprefix", "")
        queued = [
            json.loads(raw)["headers"] for key in broker.keys(f"{prefix}default*") for raw in broker.lrange(key, 0, -1)
        ]
        [headers] = [h for h in queued if h["task"] == "accounts.verification_fallback"]
        assert headers["argsrepr"] == f"({send.pk},)" and headers["eta"]
    finally:
        purge_queue()


def test_send_by_sms_instead(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    response = client.post("/accounts/signup/phone/", {"sms": "1"}, follow=True)
    assert "We sent you a new code by SMS." in response.content.decode()
    assert "We sent a code by SMS to your number ending in 5678" in response.content.decode()
    [sms_code] = _sms_codes(fake_twilio)
    assert len(fake_meta.requests) == 1
    assert PhoneCode.objects.filter(user=user).count() == 1  # one verification, two sends
    client.post("/accounts/signup/phone/", {"code": sms_code})
    assert Custodian.objects.get(user=user).phone_verified_at is not None


def test_at_most_five_sends_per_verification(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    start = timezone.now()
    user = _signup(client, signup_data)  # 1: WhatsApp
    first = _whatsapp_send(user)
    with time_machine.travel(start + timedelta(seconds=61)):
        verification_fallback_task(first.pk)  # 2: SMS, WhatsApp silent
    with time_machine.travel(start + timedelta(seconds=70)):
        services.phone_code_send(user=user, e164=E164, sms=True)  # 3: SMS asked for
    with time_machine.travel(start + timedelta(seconds=140)):
        services.phone_code_send(user=user, e164=E164)  # 4: WhatsApp again
    fourth = PhoneCodeSend.objects.filter(phone_code__user=user, channel="meta_whatsapp").latest("pk")
    with time_machine.travel(start + timedelta(seconds=210)):
        verification_fallback_task(fourth.pk)  # 5: SMS, WhatsApp silent
    verification = PhoneCode.objects.get(user=user)
    assert verification.sends.count() == 5
    with time_machine.travel(start + timedelta(seconds=290)):
        with pytest.raises(services.ValidationError, match=r"Too many codes for this verification\. Ask again in 6"):
            services.phone_code_send(user=user, e164=E164, sms=True)
        response = client.post("/accounts/signup/phone/", {"sms": "1"}, follow=True)
        assert "Too many codes for this verification." in response.content.decode()
    assert (len(fake_meta.requests), len(fake_twilio.requests)) == (2, 3)
    assert verification.sends.count() == 5


def test_five_checks_per_verification_across_all_its_codes(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    verification_fallback_task(_whatsapp_send(user).pk)
    codes = {_meta_code(fake_meta), *_sms_codes(fake_twilio)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in codes)
    for _ in range(5):
        with pytest.raises(services.ValidationError):
            services.phone_code_verify(user=user, e164=E164, code=wrong)
    for code in codes:
        with pytest.raises(services.ValidationError, match="Too many wrong tries"):
            services.phone_code_verify(user=user, e164=E164, code=code)


def test_codes_expire_after_ten_minutes_and_no_fallback_follows(client, signup_data, providers):
    fake_meta, fake_twilio = providers
    user = _signup(client, signup_data)
    code = _meta_code(fake_meta)
    later = timezone.now() + timedelta(minutes=10, seconds=1)
    with time_machine.travel(later):
        verification_fallback_task(_whatsapp_send(user).pk)
        assert fake_twilio.requests == []
        with pytest.raises(services.ValidationError, match="expired"):
            services.phone_code_verify(user=user, e164=E164, code=code)


def test_codes_are_stored_hashed_and_never_logged(client, signup_data, providers, caplog):
    fake_meta, fake_twilio = providers
    with caplog.at_level(logging.DEBUG):
        user = _signup(client, signup_data)
        verification_fallback_task(_whatsapp_send(user).pk)
    codes = [_meta_code(fake_meta), *_sms_codes(fake_twilio)]
    for code in codes:
        assert code not in caplog.text
    assert E164 not in caplog.text and "5512345678" not in caplog.text
    stored = list(PhoneCodeSend.objects.values_list("code_hash", flat=True))
    assert all(code not in h for code in codes for h in stored)
