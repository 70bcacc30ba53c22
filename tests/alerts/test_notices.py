"""Nobody is left guessing: on acknowledgement every other recipient already messaged is told who is handling it;
on resolution every recipient messaged and each finder who left a number are told. Sent through the development
channel (and the recording stand-in), so the texts are read from the message log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import AlarmNotice, NoticeStatus, NotificationStatus
from alerts.services import alarm_acknowledge, alarm_create, alarm_resolve, attempt_deliver, attempt_fallback
from alerts.services.notices import notice_send, notices_sweep
from alerts.services.reports import Report, report_submit
from messaging.models import Message

pytestmark = pytest.mark.django_db


def _deliver_all(alarm) -> None:
    for pk in alarm.attempts.filter(status=NotificationStatus.PENDING).values_list("pk", flat=True):
        attempt_deliver(attempt_id=pk)


def _send_all(alarm) -> dict[str, Message]:
    """Send the alarm's notices; the message each recipient got, by recipient key."""
    for pk in alarm.notices.values_list("pk", flat=True):
        notice_send(notice_id=pk)
    return {n.recipient_key: n.message for n in alarm.notices.select_related("message") if n.message is not None}


def test_on_acknowledgement_every_other_recipient_messaged_is_told_who_is_handling_it_in_their_language(
    alice_code, contacts
):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")  # custodian, doctor, both contacts at once
    _deliver_all(alarm)
    custodian = alarm.attempts.get(recipient_kind="custodian")
    assert alarm_acknowledge(alarm_id=alarm.pk, attempt_id=custodian.pk, note="Voy")
    told = _send_all(alarm)
    rosa, tom = (f"contact:{c.pk}" for c in contacts)
    assert set(told) == {rosa, tom, f"doctor:{alice_code.subject.pk}"}  # everyone but who acknowledged
    assert {m.kind for m in told.values()} == {"ACKNOWLEDGED"}
    assert "Alice (un familiar)" in told[rosa].content  # Rosa reads Spanish
    assert "Alice (a family member)" in told[tom].content  # Tom reads English
    assert "Sofía" in told[tom].content and told[tom].channel == "development"
    # A second acknowledgement tells nobody again.
    assert not alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get(recipient_key=tom).pk)
    assert AlarmNotice.objects.count() == 3


def test_only_recipients_already_messaged_are_told_and_the_acknowledger_is_named_by_role(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")  # contacts wait 5 and 10 minutes
    _deliver_all(alarm)
    first = alarm.attempts.get(recipient_key=f"contact:{contacts[0].pk}")
    first.not_before = None
    first.save()
    attempt_deliver(attempt_id=first.pk)  # Rosa got it early (released by escalation)
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=first.pk)
    told = _send_all(alarm)
    assert set(told) == {f"custodian:{alice_code.subject.custodian.pk}"}  # Tom was never messaged: not told
    assert "Abuela (un contacto de emergencia)" in told[f"custodian:{alice_code.subject.custodian.pk}"].content


def test_the_notice_goes_through_the_channel_choice_skipping_a_channel_that_failed_them(
    alice_code, contacts, recording
):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    tom = alarm.attempts.get(recipient_key=f"contact:{contacts[1].pk}")
    tom.status = NotificationStatus.FAILED
    tom.save()
    fallback = attempt_fallback(attempt=tom)  # his next channel: the recording one
    _deliver_all(alarm)
    fallback.refresh_from_db()
    assert (fallback.channel, fallback.status) == ("recording", NotificationStatus.SENT)
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
    told = _send_all(alarm)
    assert told[tom.recipient_key].channel == "recording"
    assert "Alice (a family member) has acknowledged it" in recording.calls[-1].body


def test_on_resolution_everyone_messaged_and_each_finder_with_a_number_is_told_without_names(
    alice_code, contacts, staff
):
    alarm = alarm_create(
        qr_code=alice_code, situation_type="INJURED", finder_phone="+5215512345678", source="sms", finder_name="Ana"
    )
    report_submit(qr_code=alice_code, report=Report(situation_type="INJURED", finder_phone="+5215512345678"))
    report_submit(qr_code=alice_code, report=Report(situation_type="LOST", finder_phone="+14155550123"))
    report_submit(qr_code=alice_code, report=Report(situation_type="LOST", location="No number left"))
    _deliver_all(alarm)
    staff.first_name = "Marta"
    staff.save()
    alarm_resolve(alarm=alarm, user=staff, notes="Family reached by phone")
    told = _send_all(alarm)
    finders = [m for key, m in told.items() if key.startswith("finder:")]
    recipients = {key: m for key, m in told.items() if not key.startswith("finder:")}
    assert len(recipients) == 4 and {m.kind for m in recipients.values()} == {"RESOLVED"}  # the custodian too
    assert "Marta (Keryu's team)" in recipients[f"contact:{contacts[1].pk}"].content
    assert "Marta (el equipo de Keryu)" in recipients[f"contact:{contacts[0].pk}"].content
    assert sorted(m.to for m in finders) == ["+14155550123", "+5215512345678"]  # one each, twice-reporting Ana once
    assert {m.kind for m in finders} == {"RESOLVED_FINDER"}
    for message in finders:
        for name in ("Sofía", "Alice", "Marta", "Rosa", "Family reached"):
            assert name not in message.content
        assert message.owner is None  # the finder's number stays out of the family's message log
    spanish = next(m for m in finders if m.to.startswith("+52"))
    assert spanish.content == "Keryu: la alarma que reportaste se cerró. Gracias por ayudar."


def test_the_custodian_who_closes_it_is_not_told_the_others_are(alice_code, alice, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _deliver_all(alarm)
    alarm_resolve(alarm=alarm, user=alice)
    alarm_resolve(alarm=alarm, user=alice)  # twice: nobody told twice
    told = _send_all(alarm)
    assert f"custodian:{alice.custodian.pk}" not in told and len(told) == 3
    assert AlarmNotice.objects.count() == 3


def test_a_notice_whose_worker_died_before_sending_is_sent_later(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _deliver_all(alarm)
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
    notice = alarm.notices.first()
    long_ago = timezone.now() - timedelta(minutes=10)
    AlarmNotice.objects.filter(pk=notice.pk).update(status=NoticeStatus.PROCESSING, claimed_at=long_ago)
    AlarmNotice.objects.filter(pk=notice.pk).update(created_at=long_ago)
    assert notice.pk in notices_sweep()
    assert notice_send(notice_id=notice.pk) and not notice_send(notice_id=notice.pk)  # claimed once
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.message.kind == "ACKNOWLEDGED"
