"""Replies are understood, not counted: each reply to an alarm message is matched to its alarm (the provider's
reply context, else the open alarm the number was messaged about) and read for its intent (acknowledge, can't
help, wrong number, anything else), in Spanish and English; only a recipient of that alarm acknowledges."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from alerts.intents import Intent, intent_of
from alerts.models import Alarm, AlarmNote, NotificationAttempt, NotificationStatus
from alerts.selectors import alarm_note_entries
from alerts.services import alarm_create, alarm_resolve, alarms_escalate, attempt_deliver, attempts_release_due
from alerts.services.finder_state import finder_state
from messaging.formatting import address_hash
from messaging.models import FlaggedAddress, FlagReason, InboundMessage, Message, MessageStatus
from messaging.services import channel_next, inbound_record, message_compose
from registry.models import EmergencyContact
from tests.factories import QRCodeFactory, SubjectFactory

pytestmark = pytest.mark.django_db

ROSA = "+525533334444"  # Abuela Rosa, Spanish (tests/alerts/conftest.py)
TOM = "+525555556666"  # Uncle Tom, English
_ids = itertools.count(1)


def _reply(from_address: str, body: str, *, channel: str = "twilio_sms", context: str = "", payload: str = ""):
    """A reply as the webhooks record it (messaging.services.inbound_record), answered by the registered handler."""
    return inbound_record(
        channel=channel,
        from_address=from_address,
        body=body,
        provider_message_id=f"IN{next(_ids)}",
        context_provider_id=context,
        payload=payload,
    )


def _deliver(ids) -> None:
    for pk in ids:
        attempt_deliver(attempt_id=pk)


def _sent_to(alarm: Alarm, kind: str, name: str | None = None) -> NotificationAttempt:
    rows = alarm.attempts.filter(recipient_kind=kind)
    if name:
        rows = rows.filter(recipient_name=name)
    attempt = rows.get()
    attempt_deliver(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == NotificationStatus.SENT
    return attempt


# --- the keyword tables (a pure function) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "payload", "intent"),
    [
        # acknowledge
        ("Voy", "", Intent.ACKNOWLEDGE),
        ("Ya voy, llego en 10 minutos", "", Intent.ACKNOWLEDGE),
        ("EN CAMINO 🚗", "", Intent.ACKNOWLEDGE),
        ("Recibido.", "", Intent.ACKNOWLEDGE),
        ("ok", "", Intent.ACKNOWLEDGE),
        ("On my way!", "", Intent.ACKNOWLEDGE),
        ("OK, coming now", "", Intent.ACKNOWLEDGE),
        ("Ya lo vi: confirmar", "", Intent.ACKNOWLEDGE),  # the acknowledgement page's own button
        ("whatever the button said", "ACK", Intent.ACKNOWLEDGE),
        # can't help
        ("No puedo, estoy en Monterrey", "", Intent.CANT_HELP),
        ("no voy a poder", "", Intent.CANT_HELP),
        ("Sorry, I can't", "", Intent.CANT_HELP),
        ("Sorry I can’t, I'm abroad", "", Intent.CANT_HELP),  # a typographic apostrophe
        ("I cannot go", "", Intent.CANT_HELP),
        ("No puedo", "CANT_HELP", Intent.CANT_HELP),
        # wrong number
        ("No conozco a esta persona", "", Intent.WRONG_NUMBER),
        ("Número equivocado", "", Intent.WRONG_NUMBER),
        ("numero EQUIVOCADO", "", Intent.WRONG_NUMBER),
        ("Wrong number, sorry", "", Intent.WRONG_NUMBER),
        ("Voy", "WRONG_NUMBER", Intent.WRONG_NUMBER),  # the payload wins over the text
        ("Wrong number", "wrong_number", Intent.WRONG_NUMBER),
        # anything else
        ("¿Quién es?", "", Intent.OTHER),
        ("who is this?", "", Intent.OTHER),
        ("Voyager", "", Intent.OTHER),  # whole words only
        ("bookmark", "", Intent.OTHER),
        ("No, ¿quién habla?", "", Intent.OTHER),
        ("Is she ok?", "", Intent.OTHER),  # a question, not an answer
        ("Not ok", "", Intent.OTHER),
        ("¿Voy yo o vas tú?", "", Intent.OTHER),
        ("Is she ok? I'll call Alice", "", Intent.OTHER),
        ("Ok. Is she hurt?", "", Intent.ACKNOWLEDGE),
        ("", "", Intent.OTHER),
        ("hola", "SOMETHING_ELSE", Intent.OTHER),  # an unknown payload: the text decides
    ],
)
def test_intent_of_reads_keywords_in_spanish_and_english(text, payload, intent):
    assert intent_of(text, payload) == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("VOY", Intent.ACKNOWLEDGE),
        ("NO PUEDO", Intent.CANT_HELP),
        ("NÚMERO EQUIVOCADO", Intent.WRONG_NUMBER),
        ("OK", Intent.ACKNOWLEDGE),
        ("CAN'T", Intent.CANT_HELP),
        ("WRONG NUMBER", Intent.WRONG_NUMBER),
    ],
)
def test_the_words_the_options_answer_suggests_mean_what_it_says(text, intent):
    assert intent_of(text) == intent


# --- acknowledge ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "phone", "text", "answer"),
    [
        ("custodian", None, None, "Voy en camino", "Keryu: gracias. La alarma quedó confirmada"),
        ("contact", "Abuela Rosa", ROSA, "Recibido, voy para allá", "Keryu: gracias. La alarma quedó confirmada"),
        ("contact", "Uncle Tom", TOM, "On my way, 15 minutes", "Keryu: thank you. The alarm is acknowledged"),
        ("doctor", "Dr. Ruiz", "+525511112222", "ok", "Keryu: gracias. La alarma quedó confirmada"),
    ],
)
def test_an_acknowledging_reply_from_a_recipient_acknowledges_in_their_language(
    alice_code, contacts, kind, name, phone, text, answer
):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")  # everyone at once
    attempt = _sent_to(alarm, kind, name)
    phone = phone or str(alice_code.subject.custodian.phone_number)
    inbound = _reply(phone, text)
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is not None and alarm.acknowledged_via == "reply"
    assert alarm.acknowledged_by == attempt.recipient_name
    assert finder_state(alarm=alarm).note == text  # what the finder is shown
    assert inbound.auto_reply.startswith(answer)
    assert inbound.in_reply_to == attempt.message


def test_a_second_acknowledging_reply_is_noted_and_told_someone_already_has_it(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _sent_to(alarm, "contact", "Abuela Rosa")
    _sent_to(alarm, "contact", "Uncle Tom")
    _reply(ROSA, "Voy")
    late = _reply(TOM, "ok, coming")
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == "Abuela Rosa"
    assert late.auto_reply.startswith("Keryu: thank you. Someone already acknowledged this alarm")
    assert [n.text for n in AlarmNote.objects.filter(alarm=alarm)] == ["Also acknowledged: ok, coming"]


# --- can't help -----------------------------------------------------------------------------------------


def test_cant_help_is_on_the_timeline_acknowledges_nothing_and_the_escalation_goes_on(alice_code, contacts):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _deliver([alarm.attempts.get(recipient_kind="custodian").pk])
        clock.shift(timedelta(seconds=301))
        _deliver(attempts_release_due())  # Abuela Rosa, 5 minutes in
        answer = _reply(ROSA, "No puedo, estoy en Monterrey").auto_reply
        alarm.refresh_from_db()
        assert alarm.acknowledged_at is None
        assert answer == "Keryu: entendido, gracias. Seguimos avisando a los demás."
        tom = alarm.attempts.get(recipient_name="Uncle Tom")
        assert tom.status == NotificationStatus.PENDING  # still scheduled, not cancelled
        clock.shift(timedelta(seconds=300))
        assert attempts_release_due() == [tom.pk]  # the next contact is reached on time
        _deliver([tom.pk])
        english = _reply(TOM, "Sorry, I can't. I'm abroad").auto_reply
        assert english == "Keryu: understood, thank you. We keep alerting the others."
        clock.shift(timedelta(seconds=10))
        alarms_escalate()
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None and alarm.escalation_level == 1
    with translation.override("en"):  # the replies ran in Spanish; the timeline is read here in English
        entries = [e.text for e in alarm_note_entries(alarm=alarm)]
    assert entries == [
        "Note by Abuela Rosa (emergency contact, by reply): Cannot help: No puedo, estoy en Monterrey",
        "Note by Uncle Tom (emergency contact, by reply): Cannot help: Sorry, I can't. I'm abroad",
    ]


# --- wrong number ---------------------------------------------------------------------------------------


def test_a_contacts_wrong_number_does_not_acknowledge_nor_cancel_the_others(alice_code, contacts):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _deliver([alarm.attempts.get(recipient_kind="custodian").pk])
        clock.shift(timedelta(seconds=301))
        _deliver(attempts_release_due())
        inbound = _reply(ROSA, "No conozco a esta persona")
        alarm.refresh_from_db()
        assert alarm.acknowledged_at is None and alarm.acknowledgement_note == ""
        assert finder_state(alarm=alarm).acknowledged is False
        tom = alarm.attempts.get(recipient_name="Uncle Tom")
        assert tom.status == NotificationStatus.PENDING and tom.not_before > timezone.now()
        clock.shift(timedelta(seconds=300))
        assert attempts_release_due() == [tom.pk]
    assert inbound.auto_reply == "Keryu: disculpa la molestia. No volveremos a enviar mensajes a este número."
    flag = FlaggedAddress.objects.get()
    assert (flag.reason, flag.address_hash, flag.channel) == (FlagReason.WRONG_NUMBER, address_hash(ROSA), "twilio_sms")
    # Nothing is sent to the number again: the channel choice skips it (SMS, WhatsApp, any channel).
    assert channel_next(preferred=None, phone=ROSA) is None
    assert channel_next(preferred=None, phone="+5215533334444") is None  # Meta's form of the same number
    note = AlarmNote.objects.get(alarm=alarm)
    assert note.author_name == "Abuela Rosa (emergency contact, by reply)" and note.text.startswith("Wrong number:")


def test_wrong_number_in_english_by_whatsapp_with_context(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    tom = _sent_to(alarm, "contact", "Uncle Tom")
    inbound = _reply(
        "whatsapp:+5215555556666", "Wrong number", channel="twilio_whatsapp", context=tom.message.provider_message_id
    )
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert inbound.auto_reply == "Keryu: sorry for the trouble. We will not send messages to this number again."
    assert FlaggedAddress.objects.get(reason=FlagReason.WRONG_NUMBER).address_hash == address_hash(TOM)


def test_wrong_number_cancels_what_still_waits_for_that_number_and_moves_the_recipient_on(
    alice, alice_code, contacts, settings
):
    # Abuela Rosa is a contact of two of Alice's people. Told about the first alarm by phone, she says it is a
    # wrong number; her row on the second alarm (scheduled, same phone) is cancelled and she is moved to email.
    settings.KERYU_CHANNEL_ORDER = ["development", "email"]
    second = QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian, name="Pablo Arroyo"))
    EmergencyContact.objects.create(
        subject=second.subject, name="Abuela Rosa", phone_number=ROSA, email="rosa@example.com", language="es"
    )
    first = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _sent_to(first, "contact", "Abuela Rosa")
    later = alarm_create(qr_code=second, situation_type="LOST")
    waiting = later.attempts.get(recipient_kind="contact")
    assert (waiting.channel, waiting.status) == ("development", NotificationStatus.PENDING) and waiting.not_before
    _reply(ROSA, "Número equivocado")
    waiting.refresh_from_db()
    assert waiting.status == NotificationStatus.CANCELLED and "wrong number" in waiting.error
    instead = later.attempts.exclude(pk=waiting.pk).get(recipient_kind="contact")
    assert (instead.channel, instead.status, instead.not_before) == ("email", "PENDING", waiting.not_before)
    first.refresh_from_db()
    later.refresh_from_db()
    assert first.acknowledged_at is None and later.acknowledged_at is None


def test_a_row_that_chose_the_number_before_the_flag_is_not_sent_and_moves_on(alice_code, contacts, recording):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    rosa = alarm.attempts.get(recipient_name="Abuela Rosa")
    FlaggedAddress.objects.create(
        channel="twilio_sms", address_hash=address_hash(ROSA), code="wrong_number", reason=FlagReason.WRONG_NUMBER
    )
    attempt_deliver(attempt_id=rosa.pk)
    rosa.refresh_from_db()
    assert rosa.status == NotificationStatus.FAILED and rosa.message is None and "wrong number" in rosa.error
    assert not Message.objects.filter(address_hash=address_hash(ROSA)).exists()


# --- anything else ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "text", "answer"),
    [
        (ROSA, "¿Quién es? ¿Qué le pasó?", "Keryu: tu mensaje quedó en el registro de la alarma. Responde VOY"),
        (TOM, "Is she ok? I'll call Alice", "Keryu: your message is on the alarm's record. Reply OK"),
    ],
)
def test_anything_else_is_noted_on_the_timeline_and_answered_with_the_options(
    alice_code, contacts, phone, text, answer
):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _deliver(alarm.attempts.values_list("pk", flat=True))
    inbound = _reply(phone, text)
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert inbound.auto_reply.startswith(answer)
    assert AlarmNote.objects.get(alarm=alarm).text == text


# --- matching ---------------------------------------------------------------------------------------------


@pytest.fixture
def two_alarms(alice, alice_code, contacts):
    """Abuela Rosa is a contact of two of Alice's people, with an open alarm each; she was told about `older`
    first, then about `newer`."""
    second = QRCodeFactory(subject=SubjectFactory(custodian=alice.custodian, name="Pablo Arroyo"))
    EmergencyContact.objects.create(subject=second.subject, name="Abuela Rosa", phone_number=ROSA, language="es")
    older = alarm_create(qr_code=alice_code, situation_type="INJURED")
    told_older = _sent_to(older, "contact", "Abuela Rosa")
    newer = alarm_create(qr_code=second, situation_type="INJURED")
    told_newer = _sent_to(newer, "contact", "Abuela Rosa")
    return older, told_older, newer, told_newer


def test_the_reply_context_names_the_alarm_even_when_a_later_one_was_messaged(two_alarms):
    older, told_older, newer, _ = two_alarms
    inbound = _reply(
        "whatsapp:+5215533334444", "Voy", channel="twilio_whatsapp", context=told_older.message.provider_message_id
    )
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.acknowledged_at is not None and newer.acknowledged_at is None
    assert inbound.in_reply_to == told_older.message


def test_without_context_the_most_recently_messaged_open_alarm_is_the_one(two_alarms):
    older, _, newer, told_newer = two_alarms
    inbound = _reply(ROSA, "Voy")
    older.refresh_from_db()
    newer.refresh_from_db()
    assert newer.acknowledged_at is not None and older.acknowledged_at is None
    assert inbound.in_reply_to == told_newer.message


def test_a_later_message_about_something_else_does_not_take_the_reply(alice, alice_code, contacts):
    # The latest thing sent to Rosa is not an alarm message (a drill, a notice): her "voy" still answers the
    # open alarm she was told about.
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    told = _sent_to(alarm, "contact", "Abuela Rosa")
    other = message_compose(kind="TEST", language="es", channel="development", to=ROSA, context={}, owner=alice)
    Message.objects.filter(pk=other.pk).update(status=MessageStatus.SENT, provider_message_id="dev-later")
    inbound = _reply(ROSA, "Voy")
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == "Abuela Rosa"
    assert inbound.in_reply_to == told.message


def test_a_reply_after_the_alarm_was_resolved_changes_nothing(alice, alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _sent_to(alarm, "contact", "Abuela Rosa")
    alarm_resolve(alarm=alarm, user=alice, notes="Found at home")
    inbound = _reply(ROSA, "voy")
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert inbound.auto_reply.startswith("Keryu: este número no tiene una alarma abierta")
    assert not AlarmNote.objects.exists()


@pytest.mark.parametrize(
    ("sender", "text", "answer"),
    [
        (
            "+525599990000",
            "Voy",
            "Keryu: este número no tiene una alarma abierta; no cambiamos nada. Emergencias: 911.",
        ),
        (
            "+14155550199",
            "wrong number",
            "Keryu: this number has no open alarm, so nothing was changed. Emergency: 911.",
        ),
        ("+14155550199", "¿Quién es?", "Keryu: this number has no open alarm, so nothing was changed. Emergency: 911."),
        (
            "5215599990000",
            "hola",
            "Keryu: este número no tiene una alarma abierta; no cambiamos nada. Emergencias: 911.",
        ),
    ],
)
def test_a_number_never_messaged_about_an_open_alarm_gets_a_neutral_answer_and_changes_nothing(
    alice_code, contacts, sender, text, answer
):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _deliver(alarm.attempts.values_list("pk", flat=True))
    inbound = _reply(sender, text)
    alarm.refresh_from_db()
    assert alarm.acknowledged_at is None
    assert inbound.auto_reply == answer
    assert not AlarmNote.objects.exists() and not FlaggedAddress.objects.exists()
    assert inbound.in_reply_to is None


def test_only_a_recipient_of_that_alarm_acknowledges_it(alice_code, contacts, bob, bob_subject):
    # Bob's number quotes Alice's alarm message (a forged or mistaken context): it is not the number that
    # message went to, so Alice's alarm is untouched and Bob's reply counts for Bob's own alarm only.
    alice_alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    to_alice = _sent_to(alice_alarm, "custodian")
    bob_alarm = alarm_create(qr_code=QRCodeFactory(subject=bob_subject), situation_type="LOST")
    _sent_to(bob_alarm, "custodian")
    bob_phone = "whatsapp:" + str(bob.custodian.phone_number)
    _reply(bob_phone, "On my way", channel="twilio_whatsapp", context=to_alice.message.provider_message_id)
    alice_alarm.refresh_from_db()
    bob_alarm.refresh_from_db()
    assert alice_alarm.acknowledged_at is None
    assert bob_alarm.acknowledged_by == str(bob.custodian)


def test_a_saved_reply_keeps_the_provider_context_and_payload(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    rosa = _sent_to(alarm, "contact", "Abuela Rosa")
    _reply(
        "whatsapp:" + ROSA,
        "Voy",
        channel="twilio_whatsapp",
        context=rosa.message.provider_message_id,
        payload="ACK",
    )
    stored = InboundMessage.objects.get()
    assert (stored.payload, stored.context_provider_id) == ("ACK", rosa.message.provider_message_id)
