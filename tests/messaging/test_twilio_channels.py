"""The Twilio WhatsApp and SMS adapters (the real `twilio` SDK) against the local fake Messages resource."""

from __future__ import annotations

import base64
import json

import pytest

from messaging.channels import ChannelError, ErrorAction, OutboundMessage
from messaging.channels.twilio import TWILIO_ERRORS, TwilioSMSChannel, TwilioWhatsAppChannel


def _message(**kwargs) -> OutboundMessage:
    return OutboundMessage(**({"message_id": 9, "to": "+525512345678", "body": "Alarma: Sofía"} | kwargs))


def test_sms_posts_the_exact_form_with_basic_auth_and_returns_the_sid(fake_twilio):
    result = TwilioSMSChannel().send(_message())
    assert result.provider_message_id.startswith("SM")
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    auth = base64.b64encode(f"{fake_twilio.account_sid}:{fake_twilio.auth_token}".encode()).decode()
    assert request.headers["authorization"] == f"Basic {auth}"
    assert request.form == {
        "To": "+5215512345678",
        "From": "+15005550006",
        "Body": "Alarma: Sofía",
        "StatusCallback": "http://testserver/webhooks/twilio/?message=9",
    }


def test_whatsapp_template_goes_by_content_sid_and_variables(fake_twilio):
    fake_twilio.approve_content("HX" + "a" * 32)
    TwilioWhatsAppChannel().send(
        _message(twilio_content_sid="HX" + "a" * 32, whatsapp_parameters=("Sofía", "18:30\nhoy"))
    )
    form = fake_twilio.requests[0].form
    assert form["To"] == "whatsapp:+5215512345678" and form["From"] == "whatsapp:+14155238886"
    assert form["ContentSid"] == "HX" + "a" * 32
    assert json.loads(form["ContentVariables"]) == {"1": "Sofía", "2": "18:30 hoy"}
    assert "Body" not in form


def test_whatsapp_without_a_template_sends_the_body(fake_twilio):
    TwilioWhatsAppChannel().send(_message())
    assert fake_twilio.requests[0].form["Body"] == "Alarma: Sofía"


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (30001, ErrorAction.RETRY),
        (60005, ErrorAction.RETRY),
        (20429, ErrorAction.RETRY),
        (21610, ErrorAction.SWITCH),
        (21211, ErrorAction.SWITCH),
        (21614, ErrorAction.SWITCH),
        (30004, ErrorAction.SWITCH),
        (30005, ErrorAction.SWITCH),
        (30006, ErrorAction.SWITCH),
        (30007, ErrorAction.SWITCH),
        (63016, ErrorAction.SWITCH),
        (30410, ErrorAction.SWITCH),
        (20003, ErrorAction.STOP),
    ],
)
def test_each_twilio_error_code_maps_to_its_action(fake_twilio, code, action):
    fake_twilio.fail_next(code, status=429 if code == 20429 else 400)
    with pytest.raises(ChannelError) as caught:
        TwilioSMSChannel().send(_message())
    assert caught.value.action == action and caught.value.code == str(code)


def test_30003_is_retried_once_then_the_number_is_flagged(fake_twilio):
    fake_twilio.fail_next(30003)
    with pytest.raises(ChannelError) as first:
        TwilioSMSChannel().send(_message())
    assert first.value.action == ErrorAction.RETRY and not first.value.flag_address
    fake_twilio.fail_next(30003)
    with pytest.raises(ChannelError) as second:
        TwilioSMSChannel().send(_message(retry_count=1))
    assert second.value.action == ErrorAction.SWITCH and second.value.flag_address


def test_30410_is_never_retried_even_on_the_first_try():
    assert TWILIO_ERRORS.action(30410, retry_count=0) == ErrorAction.SWITCH


def test_an_invalid_number_is_refused_by_the_fake_with_21211(fake_twilio):
    with pytest.raises(ChannelError) as caught:
        TwilioSMSChannel().send(_message(to="not a number"))
    assert caught.value.code == "21211" and caught.value.action == ErrorAction.SWITCH


def test_bad_credentials_stop_and_alert_staff(fake_twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "wrong"
    with pytest.raises(ChannelError) as caught:
        TwilioWhatsAppChannel().send(_message())
    assert caught.value.code == "20003" and caught.value.alert_staff


def test_a_500_is_retried(fake_twilio):
    fake_twilio.fail_next(20500, status=500, message="Internal Server Error")
    with pytest.raises(ChannelError) as caught:
        TwilioSMSChannel().send(_message())
    assert caught.value.action == ErrorAction.RETRY


def test_a_hanging_api_times_out_as_uncertain_and_is_never_retried(fake_twilio):
    fake_twilio.hang_next(1.5)
    with pytest.raises(ChannelError) as caught:
        TwilioSMSChannel().send(_message())
    # It may have taken the message: waiting for the receipt beats sending it twice.
    assert caught.value.code == "timeout" and caught.value.action == ErrorAction.UNCERTAIN


def test_configuration_needs_the_sender_number(fake_twilio, settings):
    assert TwilioSMSChannel().is_configured() and TwilioWhatsAppChannel().is_configured()
    settings.TWILIO_WHATSAPP_NUMBER = ""
    assert not TwilioWhatsAppChannel().is_configured() and TwilioSMSChannel().is_configured()
