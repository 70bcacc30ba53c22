"""The monthly reachability drill: each channel judged by what it can report, a text that explains itself,
everyone an alarm would reach drilled, the custodian told of each flag, and a flag cleared by an answer.

Driven through the periodic tasks (`alerts.reachability_drill`, `alerts.reachability_flag`), the Twilio fake
for SMS, a local SMTP server for email refusals, and messaging's own services for receipts and replies.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import tasks
from alerts.models import ReachabilityCheck
from messaging.formatting import address_hash
from messaging.models import Message, MessageStatus
from messaging.services import inbound_record, message_status_apply
from registry.models import EmergencyContact
from testkit.fakes.smtp import FakeSMTP

pytestmark = pytest.mark.django_db

ROSA, TOM, DOCTOR = "+525533334444", "+525555556666", "+525511112222"


@pytest.fixture
def sms(settings, fake_twilio):
    """Phones on Twilio SMS, email last: the order an alarm would follow."""
    settings.KERYU_CHANNEL_ORDER = ["twilio_sms", "email"]
    return fake_twilio


@pytest.fixture
def cousin(alice_subject):
    """An emergency contact with an email address only."""
    return EmergencyContact.objects.create(
        subject=alice_subject, name="Prima Ana", email="ana@example.com", preferred_channel="email", sort_order=2
    )


def _messages_to(address: str) -> list[Message]:
    return list(Message.objects.filter(address_hash=address_hash(address)).order_by("pk"))


def _check_for(address: str) -> ReachabilityCheck:
    return ReachabilityCheck.objects.get(message__address_hash=address_hash(address))


def _past_the_window(settings) -> None:
    before = timezone.now() - timedelta(hours=settings.KERYU_DRILL_DELIVERY_WINDOW_HOURS + 1)
    ReachabilityCheck.objects.update(created_at=before)


def _receipt(address: str, status: str, code: str = "") -> None:
    """What the provider's status webhook does for the drill message to `address`."""
    message = _messages_to(address)[-1]
    message_status_apply(
        provider_message_id=message.provider_message_id,
        status=status,
        error_code=code,
        error_action="switch" if code else "",
    )


# --- defects: each of these failed before the drill was rebuilt ---------------------------------------------


def test_an_email_contact_is_not_flagged_for_a_receipt_email_never_sends(alice_code, contacts, cousin, sms, settings):
    tasks.reachability_drill()
    _past_the_window(settings)
    tasks.reachability_flag()
    check = _check_for("ana@example.com")
    assert not check.flagged, check.reason
    # The SMS contacts that never got a delivery receipt are flagged: SMS can report delivery.
    assert _check_for(ROSA).flagged and _check_for(ROSA).status == "silent"


def test_the_drill_text_explains_itself_in_spanish_and_asks_for_a_one_word_reply(alice_code, contacts, sms):
    tasks.reachability_drill()
    [message] = _messages_to(ROSA)
    text = message.content
    assert "ALARMA" not in text.upper() and "Confirmar:" not in text
    assert "Keryu" in text and "Sofía" in text and "prueba mensual" in text and "no hay ninguna emergencia" in text
    assert "Responde OK" in text
    assert "contacto de emergencia" in text and "Abuela Rosa" in text
    _assert_no_empty_link(text)


def test_the_drill_text_explains_itself_in_english(alice_code, contacts, sms):
    tasks.reachability_drill()
    [message] = _messages_to(TOM)
    text = message.content
    assert "ALARM" not in text.upper() and "Acknowledge:" not in text
    assert "Keryu's monthly check for Sofía" in text and "Nothing is wrong" in text
    assert "Reply OK" in text and "an emergency contact" in text
    _assert_no_empty_link(text)


def _assert_no_empty_link(text: str) -> None:
    assert "http://testserver" in text  # the link shown is a real one: Keryu's own site
    for word in text.replace("\n", " ").split(" "):
        assert word not in ("-", "http://", "https://"), text
    assert not text.rstrip().endswith(":"), text


def test_the_custodians_own_number_and_the_doctor_are_drilled(alice_code, contacts, sms):
    custodian = alice_code.subject.custodian
    tasks.reachability_drill()
    [own] = _messages_to(str(custodian.phone_number))
    [doctor] = _messages_to(DOCTOR)
    assert "custodio" in own.content and "Sofía" in own.content
    assert "Dr. Ruiz" in doctor.content and "médico" in doctor.content
    assert ReachabilityCheck.objects.count() == 4  # the custodian, the doctor, two contacts


def test_the_custodian_is_told_of_a_flag_by_message(alice_code, contacts, sms):
    custodian = alice_code.subject.custodian
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    tasks.reachability_flag()
    notices = [m for m in _messages_to(str(custodian.phone_number)) if "Abuela Rosa" in m.content]
    assert len(notices) == 1
    assert "prueba mensual" in notices[0].content and "http://testserver/admin/" in notices[0].content
    tasks.reachability_flag()  # told once, not every hour
    assert len([m for m in _messages_to(str(custodian.phone_number)) if "Abuela Rosa" in m.content]) == 1


def test_a_flag_clears_when_the_address_replies(alice_code, contacts, sms):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    assert _check_for(ROSA).flagged
    inbound_record(channel="twilio_sms", from_address=ROSA, body="OK", provider_message_id="SMreply1")
    assert not _check_for(ROSA).flagged


def test_a_flag_clears_when_a_later_drill_is_delivered(alice_code, contacts, sms):
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.UNDELIVERED, code="30005")
    first = _check_for(ROSA)
    assert first.flagged
    ReachabilityCheck.objects.update(created_at=timezone.now() - timedelta(days=30))
    tasks.reachability_drill()
    _receipt(ROSA, MessageStatus.DELIVERED)
    first.refresh_from_db()
    assert not first.flagged
