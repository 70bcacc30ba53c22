"""message_compose + message_send through the real adapters and fakes; channel order as staff data."""

from __future__ import annotations

import pytest

from messaging.channels import ChannelError
from messaging.formatting import address_hash
from messaging.models import ChannelSetting, FlaggedAddress, Message, MessageStatus, MetaApproval, MetaTemplateStatus
from messaging.selectors import channel_order
from messaging.services import channel_order_set, message_compose, message_send

pytestmark = pytest.mark.django_db

ALARM = {
    "subject_name": "Sofía",
    "situation": "Lost",
    "location": "Parque México",
    "description": "Near the fountain",
    "timestamp": "2026-11-21 18:30",
    "maps_url": "https://maps.google.com/?q=1,2",
    "ack_url": "https://keryu.example/ack/abc/",
}


def _send(channel: str, to: str = "+525512345678", kind: str = "LOST") -> Message:
    message = message_compose(kind=kind, language="es", channel=channel, to=to, context=ALARM)
    return message_send(message=message)


def test_meta_sends_the_approved_template_with_our_message_id_as_callback_data(fake_meta):
    MetaTemplateStatus.objects.create(name="qr_template_on_m", language_code="es_MX", status=MetaApproval.APPROVED)
    message = _send("meta_whatsapp")
    assert message.status == MessageStatus.SENT and message.provider_message_id.startswith("wamid.")
    body = fake_meta.requests[0].json
    assert body["biz_opaque_callback_data"] == str(message.pk)
    assert body["template"]["name"] == "qr_template_on_m"
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == ["Sofía", "2026-11-21 18:30"]


def test_an_unapproved_meta_template_is_never_sent_and_switches(fake_meta):
    MetaTemplateStatus.objects.create(name="qr_template_on_m", language_code="es_MX", status=MetaApproval.PAUSED)
    message = message_compose(kind="LOST", language="es", channel="meta_whatsapp", to="+525512345678", context=ALARM)
    with pytest.raises(ChannelError) as caught:
        message_send(message=message)
    assert caught.value.action == "switch" and fake_meta.requests == []
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.error_code == "template_not_approved"


def test_sms_body_is_one_line_and_carries_the_ack_link(fake_twilio):
    message = _send("twilio_sms")
    body = fake_twilio.requests[0].form["Body"]
    assert "\n" not in body and "https://keryu.example/ack/abc/" in body and "Sofía" in body
    assert message.provider_message_id.startswith("SM")


def test_email_keeps_paragraph_lines(mailoutbox):
    message = _send("email", to="alice@example.com")
    assert message.status == MessageStatus.SENT
    assert "\n" in mailoutbox[0].body and mailoutbox[0].subject == "Keryu: Sofía necesita ayuda para volver a casa"


def test_transient_failure_keeps_the_message_pending_and_counts_the_retry(fake_twilio):
    fake_twilio.fail_next(20429, status=429)
    message = message_compose(kind="LOST", language="es", channel="twilio_sms", to="+525512345678", context=ALARM)
    with pytest.raises(ChannelError):
        message_send(message=message)
    message.refresh_from_db()
    assert (message.status, message.retry_count, message.error_action) == ("pending", 1, "retry")
    message_send(message=message)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_30003_twice_flags_the_number_for_staff(fake_twilio):
    message = message_compose(kind="LOST", language="es", channel="twilio_sms", to="+525512345678", context=ALARM)
    fake_twilio.fail_next(30003)
    fake_twilio.fail_next(30003)
    with pytest.raises(ChannelError):
        message_send(message=message)
    with pytest.raises(ChannelError) as caught:
        message_send(message=message)
    assert caught.value.action == "switch"
    flagged = FlaggedAddress.objects.get()
    assert flagged.code == "30003" and flagged.address_hash == address_hash("+525512345678") != "525512345678"


def test_channel_order_comes_from_the_environment_until_staff_choose(settings, fake_meta, fake_twilio):
    settings.KERYU_CHANNEL_ORDER = ["twilio_sms", "meta_whatsapp"]
    assert channel_order() == ["twilio_sms", "meta_whatsapp"]
    channel_order_set(keys=["meta_whatsapp", "twilio_whatsapp", "twilio_sms", "email"])
    assert channel_order() == ["meta_whatsapp", "twilio_whatsapp", "twilio_sms", "email"]
    assert channel_order(preferred="sms") == ["twilio_sms", "meta_whatsapp", "twilio_whatsapp", "email"]
    assert channel_order(preferred="email") == ["email", "meta_whatsapp", "twilio_whatsapp", "twilio_sms"]
    assert channel_order(preferred="whatsapp")[:2] == ["meta_whatsapp", "twilio_whatsapp"]


def test_only_configured_channels_are_returned_else_development(settings):
    settings.WHATSAPP_ACCESS_TOKEN = ""
    settings.TWILIO_ACCOUNT_SID = ""
    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    assert channel_order() == ["development"]
    assert channel_order(preferred="whatsapp") == ["development"]


def test_staff_switch_the_primary_channel_in_ops_and_the_next_message_goes_through_it(
    client, staff, fake_meta, fake_twilio
):
    """Done-when: staff change the primary channel in the admin; the next alarm message uses it."""
    MetaTemplateStatus.objects.create(name="qr_template_on_m", language_code="es_MX", status=MetaApproval.APPROVED)
    channel_order_set(keys=["meta_whatsapp", "twilio_sms"])
    assert _send(channel_order()[0]).channel == "meta_whatsapp"
    assert len(fake_meta.requests) == 1 and fake_twilio.requests == []

    client.force_login(staff)
    rows = list(ChannelSetting.objects.order_by("pk"))
    positions = {"twilio_sms": "1", "meta_whatsapp": "2"}
    data = {"form-TOTAL_FORMS": str(len(rows)), "form-INITIAL_FORMS": str(len(rows)), "_save": "Save"}
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = str(row.pk)
        data[f"form-{i}-position"] = positions.get(row.key, "")
    response = client.post("/ops/messaging/channelsetting/", data)
    assert response.status_code == 302
    assert channel_order() == ["twilio_sms", "meta_whatsapp"]

    message = _send(channel_order()[0])
    assert message.channel == "twilio_sms" and message.provider_message_id.startswith("SM")
    assert len(fake_twilio.requests) == 1 and len(fake_meta.requests) == 1


def test_ops_shows_which_channels_are_configured_and_sends_a_test_message(client, staff, fake_twilio):
    client.force_login(staff)
    listing = client.get("/ops/messaging/channelsetting/")
    assert listing.status_code == 200
    row = ChannelSetting.objects.get(key="twilio_sms")
    url = f"/ops/messaging/channelsetting/{row.pk}/send-test/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"to": "+525512345678", "language": "en"}, follow=True)
    assert "accepted by the provider, id SM" in response.content.decode()
    assert fake_twilio.requests[0].form["To"] == "+5215512345678"
    fake_twilio.fail_next(21211)
    response = client.post(url, {"to": "+525512345678", "language": "en"}, follow=True)
    assert "code 21211, action switch" in response.content.decode()


def test_custodians_cannot_reach_the_ops_channel_settings(client, alice):
    client.force_login(alice)
    assert client.get("/ops/messaging/channelsetting/").status_code in (302, 403)


def test_editors_and_custodians_cannot_send_test_messages(client, editor, alice):
    row = ChannelSetting.objects.get(key="development")
    for user in (editor, alice):
        client.force_login(user)
        response = client.post(f"/ops/messaging/channelsetting/{row.pk}/send-test/", {"to": "+525512345678"})
        assert response.status_code in (302, 403)
    assert not Message.objects.exists()


def test_the_development_channel_records_the_message_without_any_network():
    message = _send("development")
    assert message.status == MessageStatus.SENT and message.provider_message_id.startswith("dev-")
