"""Each state a finder can be told about their report, computed from the alarm's attempts and the report's time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alarm, NotificationStatus
from alerts.services import alarm_acknowledge, alarm_create, alarm_resolve, attempt_deliver, report_submit
from alerts.services.alarm_status import alarm_status_refresh
from alerts.services.finder_state import FinderStep, finder_state
from alerts.services.reports import Report
from messaging.channels import REGISTRY, ChannelError
from messaging.channels.base import Channel

pytestmark = pytest.mark.django_db


class RefusesPhones(Channel):
    """Refuses the custodian's number (their phone is off); reaches everyone else."""

    key = "refuses_phones"
    refused: set[str] = set()

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        from messaging.channels.base import SendResult

        if message.to in RefusesPhones.refused:
            raise ChannelError("handset unreachable", permanent=True, code="30003")
        return SendResult(provider_message_id=f"ok-{message.message_id}")


def _mark(alarm: Alarm, kind: str, status: str) -> None:
    alarm.attempts.filter(recipient_kind=kind).update(status=status, sent_at=timezone.now())


def test_a_fresh_report_is_received_then_contacting_once_a_message_goes_out(alice_code, recording):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    assert finder_state(alarm=alarm).state == FinderStep.RECEIVED
    alarm.attempts.update(channel="recording")  # a channel that sends receipts: accepted is not delivered
    attempt_deliver(attempt_id=alarm.attempts.get().pk)
    state = finder_state(alarm=alarm)
    assert (state.state, state.contacting, state.delivered_role) == (FinderStep.CONTACTING, True, "")


def test_delivered_names_the_role_the_family_first(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")  # custodian, doctor, contacts at once
    _mark(alarm, "contact", NotificationStatus.DELIVERED)
    state = finder_state(alarm=alarm)
    assert (state.state, state.role) == (FinderStep.DELIVERED, "contact")
    _mark(alarm, "custodian", NotificationStatus.DELIVERED)
    assert finder_state(alarm=alarm).role == "custodian"


def test_a_channel_without_receipts_counts_its_accepted_send_as_delivered(alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")  # the development channel
    attempt_deliver(attempt_id=alarm.attempts.get().pk)
    assert finder_state(alarm=alarm).state == FinderStep.DELIVERED


def test_seen_names_who_read_it(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    _mark(alarm, "custodian", NotificationStatus.DELIVERED)
    _mark(alarm, "doctor", NotificationStatus.READ)
    state = finder_state(alarm=alarm)
    assert (state.state, state.role, state.delivered_role) == (FinderStep.SEEN, "doctor", "custodian")


def test_acknowledged_names_the_role_and_carries_its_note(alice_code, contacts):
    alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
    contact = alarm.attempts.filter(recipient_kind="contact").first()
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=contact.pk, note="Voy para allá")
    alarm.refresh_from_db()
    state = finder_state(alarm=alarm)
    assert (state.state, state.role, state.note) == (FinderStep.ACKNOWLEDGED, "contact", "Voy para allá")


def test_every_custodian_channel_failing_is_unreached_even_when_a_contact_was_reached(
    alice_code, contacts, settings, staff, mailoutbox
):
    REGISTRY[RefusesPhones.key] = RefusesPhones
    RefusesPhones.refused = {str(alice_code.subject.custodian.phone_number)}
    settings.KERYU_CHANNEL_ORDER = [RefusesPhones.key]
    try:
        alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
        for attempt in alarm.attempts.order_by("pk"):
            attempt_deliver(attempt_id=attempt.pk)
    finally:
        REGISTRY.pop(RefusesPhones.key, None)
    alarm.refresh_from_db()
    state = finder_state(alarm=alarm)
    assert (state.state, state.delivered_role) == (FinderStep.UNREACHED, "")  # the channel reports receipts
    assert alarm.staff_alerted_at is not None
    assert [m.subject for m in mailoutbox] == [f"Keryu: alarm {alarm.pk}: the family could not be reached"]
    alarm_status_refresh(alarm_id=alarm.pk)  # again: staff are not told twice
    assert len(mailoutbox) == 1


def test_resolved_without_acknowledgement_closes_with_who_closed_it(alice_code, alice):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    alarm = alarm_resolve(alarm=alarm, user=alice)
    state = finder_state(alarm=alarm)
    assert (state.state, state.role, state.acknowledged, state.final) == (FinderStep.RESOLVED, "custodian", False, True)


def test_a_later_finder_is_told_the_family_knows_then_that_they_were_told_and_never_gets_the_note(alice_code):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        clock.shift(timedelta(minutes=1))
        early = report_submit(qr_code=alice_code, report=Report(situation_type="LOST", location="Fuente")).event
        clock.shift(timedelta(minutes=1))
        alarm_acknowledge(
            alarm_id=alarm.pk, attempt_id=alarm.attempts.get(update_seq=0).pk, note="Para quien encontró a Sofía"
        )
        clock.shift(timedelta(minutes=22))
        outcome = report_submit(qr_code=alice_code, report=Report(situation_type="LOST", location="Metro"))
        alarm.refresh_from_db()
        later = finder_state(alarm=alarm, scan_event=outcome.event)
        assert (later.state, later.note, later.told) == (FinderStep.ALREADY_KNOWN, "", False)
        # The update carrying the later report goes out: now they have been told.
        update = alarm.attempts.filter(update_seq__gt=0).order_by("-pk").first()
        attempt_deliver(attempt_id=update.pk)
        assert finder_state(alarm=alarm, scan_event=outcome.event).told is True
    # The finders who reported before the acknowledgement are the ones the note was written for.
    assert finder_state(alarm=alarm).note == "Para quien encontró a Sofía"
    assert finder_state(alarm=alarm, scan_event=early).state == FinderStep.ACKNOWLEDGED
    assert finder_state(alarm=alarm, scan_event=early).note == "Para quien encontró a Sofía"


def test_a_texted_report_is_answered_with_its_state(alice_code, settings, staff):
    from alerts.services.inbound import sms_report

    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    REGISTRY[RefusesPhones.key] = RefusesPhones
    RefusesPhones.refused = {str(alice_code.subject.custodian.phone_number)}
    settings.KERYU_CHANNEL_ORDER = [RefusesPhones.key]
    alarm.attempts.update(channel=RefusesPhones.key)
    try:
        attempt_deliver(attempt_id=alarm.attempts.get().pk)
    finally:
        REGISTRY.pop(RefusesPhones.key, None)
    answer = sms_report(from_address="+525598765432", body=f"{alice_code.short_code} perdido")
    assert answer.startswith("Keryu: gracias. Aún no logramos contactar a la familia") and "911" in answer
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.first().pk)
    answer = sms_report(from_address="+14155550123", body=f"{alice_code.short_code} lost")
    assert answer.startswith("Keryu: thank you. The family already knows and is being told of your report")
