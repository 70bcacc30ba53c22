"""No data, no smartphone: a finder texts the badge's short code to Keryu's number and gets an SMS answer."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, InactiveCodeScan, NotificationAttempt, ScanEvent
from alerts.services.reports import sms_report_parse
from messaging.models import InboundMessage
from registry.services import qr_code_deactivate

pytestmark = pytest.mark.django_db
FINDER = "+525598765432"


def _text(client, fake_twilio, body: str, *, sender: str = FINDER):
    url = "http://testserver/webhooks/twilio/"
    params = fake_twilio.inbound_params(sender, body, to="+15005550006")
    payload, headers = fake_twilio.signed(url, params)
    return client.post(
        "/webhooks/twilio/",
        payload,
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=headers["X-Twilio-Signature"],
    )


@pytest.mark.parametrize(
    ("body", "situation", "language"),
    [
        ("{code}", "LOST", "es"),
        ("{lower} hurt", "INJURED", "en"),
        ("{code} PERDIDO en el parque", "LOST", "es"),
        ("  {code}, herida ", "INJURED", "es"),
        ("Keryu {code} contact", "CONTACT", "en"),
    ],
)
def test_a_texted_short_code_raises_the_alarm_and_the_finder_is_answered(
    client, fake_twilio, alice_code, body, situation, language
):
    response = _text(client, fake_twilio, body.format(code=alice_code.short_code, lower=alice_code.short_code.lower()))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    xml = response.content.decode()
    expected = "family is being contacted" if language == "en" else "Estamos avisando a la familia"
    assert "<Response><Message>" in xml and expected in xml and "911" in xml

    alarm = Alarm.objects.get()
    assert (alarm.subject, alarm.situation_type, alarm.source) == (alice_code.subject, situation, "sms")
    assert alarm.finder_phone == FINDER  # the custodian can call the finder back
    assert NotificationAttempt.objects.filter(alarm=alarm).exists()  # the same pipeline as a scan
    inbound = InboundMessage.objects.get()
    assert inbound.auto_reply and inbound.in_reply_to is None


def test_an_unknown_or_deactivated_code_gets_the_same_answer_and_no_alarm(client, fake_twilio, alice_code):
    unknown = _text(client, fake_twilio, "0BADC0DE lost").content.decode()
    qr_code_deactivate(qr_code=alice_code)
    inactive = _text(client, fake_twilio, f"{alice_code.short_code} lost").content.decode()
    assert "could not find the code" in unknown and unknown.replace("0BADC0DE", "X") == inactive.replace(
        alice_code.short_code, "X"
    )
    assert not Alarm.objects.exists()
    assert InactiveCodeScan.objects.get().source == "sms"  # the deactivated code's custodian is told


def test_a_second_text_joins_the_open_alarm_and_a_flood_is_answered_without_new_reports(
    client, fake_twilio, alice_code, settings
):
    settings.KERYU_SMS_REPORT_RATE = "2/3600"
    for _ in range(2):
        assert "Estamos avisando" in _text(client, fake_twilio, alice_code.short_code).content.decode()
    assert Alarm.objects.count() == 1 and ScanEvent.objects.count() == 1
    _text(client, fake_twilio, alice_code.short_code)
    busy = _text(client, fake_twilio, alice_code.short_code).content.decode()
    assert "ya tenemos tus reportes" in busy
    assert ScanEvent.objects.count() == 2  # the rate limit counts texts after the first report


def test_the_reply_is_xml_escaped(client, fake_twilio, alice_code, settings):
    from home.models import ScanPage

    ScanPage.objects.update(emergency_number="<911>&")
    xml = _text(client, fake_twilio, f"{alice_code.short_code} hurt").content.decode()
    assert "&lt;911&gt;&amp;" in xml and "<911>" not in xml


def test_an_unsigned_text_is_refused_and_raises_nothing(client, fake_twilio, alice_code):
    params = fake_twilio.inbound_params(FINDER, alice_code.short_code)
    payload, _ = fake_twilio.signed("http://testserver/webhooks/twilio/", params)
    response = client.post("/webhooks/twilio/", payload, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403 and not Alarm.objects.exists()


def test_other_texts_are_not_reports():
    for body in ("Gracias, voy en camino", "12345678901", "OK", "", "8F3A2B1"):
        assert sms_report_parse(body) is None
    assert sms_report_parse("8f3a2b1c").code == "8F3A2B1C"


def test_the_badge_prints_the_sms_number(alice_code, settings):
    import subprocess

    from registry.badges import badge_sheet_pdf

    settings.KERYU_SMS_NUMBER = "+15005550006"
    pdf = badge_sheet_pdf([alice_code])
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert alice_code.short_code in text and "SMS +15005550006" in text


def test_a_bare_code_is_answered_in_the_senders_language():
    from alerts.services.reports import sms_language

    assert sms_language(word_language="", sender="+525512345678") == "es"
    assert sms_language(word_language="", sender="+14155550100") == "en"
    assert sms_language(word_language="en", sender="+525512345678") == "en"
    assert sms_language(word_language="", sender="not a number") == "en"
