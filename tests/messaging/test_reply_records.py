"""What messaging keeps of a reply (the provider's reply context, a button's payload) and of a "wrong number"
(a flag every channel choice respects)."""

from __future__ import annotations

import pytest

from messaging.formatting import address_hash
from messaging.models import FlaggedAddress, FlagReason, InboundMessage
from messaging.services import address_flag_wrong_number, channel_next, channel_order_set
from registry.models import ContactChannel

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "+525512345678", "carla@example.com"


@pytest.fixture
def four_channels(fake_meta, fake_twilio):
    channel_order_set(keys=["meta_whatsapp", "twilio_whatsapp", "twilio_sms", "email"])


def test_a_wrong_number_is_skipped_on_every_channel_and_the_email_still_works(four_channels):
    assert channel_next(preferred=ContactChannel.WHATSAPP, phone=PHONE, email=EMAIL) == "meta_whatsapp"
    # Said on Meta WhatsApp, in Meta's form of the number: SMS and Twilio WhatsApp to it are stopped too.
    address_flag_wrong_number(channel="meta_whatsapp", address="5215512345678")
    assert channel_next(preferred=ContactChannel.WHATSAPP, phone=PHONE, email=EMAIL) == "email"
    assert channel_next(preferred=ContactChannel.SMS, phone=PHONE, email="") is None
    assert channel_next(preferred=None, phone="+525599990000", email="") == "meta_whatsapp"  # another number


def test_an_address_the_provider_cannot_reach_is_flagged_for_staff_but_still_chosen(four_channels):
    FlaggedAddress.objects.create(channel="twilio_sms", address_hash=address_hash(PHONE), code="30003")
    assert FlaggedAddress.objects.get().reason == FlagReason.UNREACHABLE
    assert channel_next(preferred=ContactChannel.SMS, phone=PHONE, email=EMAIL) == "twilio_sms"


def test_flagging_twice_keeps_one_row(four_channels):
    address_flag_wrong_number(channel="twilio_sms", address=PHONE)
    address_flag_wrong_number(channel="twilio_sms", address="+5215512345678")
    assert FlaggedAddress.objects.get().reason == FlagReason.WRONG_NUMBER


def _post_meta(client, fake_meta, payload: dict):
    body, headers = fake_meta.signed(payload)
    return client.post(
        "/webhooks/whatsapp/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=headers["X-Hub-Signature-256"],
    )


def test_a_meta_template_button_press_keeps_its_payload_text_and_context(client, fake_meta):
    payload = fake_meta.inbound_payload(
        "5215512345678", "No conozco", wamid="wamid.IN1", context_id="wamid.OUT1", button_payload="WRONG_NUMBER"
    )
    assert _post_meta(client, fake_meta, payload).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.body, inbound.payload, inbound.context_provider_id) == ("No conozco", "WRONG_NUMBER", "wamid.OUT1")


def test_a_meta_interactive_reply_button_keeps_its_id_as_the_payload(client, fake_meta):
    payload = fake_meta.inbound_payload("5215512345678", "", wamid="wamid.IN2", context_id="wamid.OUT1")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message.update(
        type="interactive", interactive={"type": "button_reply", "button_reply": {"id": "ACK", "title": "Voy"}}
    )
    assert _post_meta(client, fake_meta, payload).status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.body, inbound.payload) == ("Voy", "ACK")


def test_a_twilio_whatsapp_button_press_keeps_its_payload(client, fake_twilio):
    params = fake_twilio.inbound_params("whatsapp:+5215512345678", "On my way", button_payload="ACK", replied_to="SMx")
    body, headers = fake_twilio.signed("http://testserver/webhooks/twilio/", params)
    response = client.post(
        "/webhooks/twilio/", body, content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
    )  # fmt: skip
    assert response.status_code == 200
    inbound = InboundMessage.objects.get()
    assert (inbound.body, inbound.payload, inbound.context_provider_id) == ("On my way", "ACK", "SMx")
