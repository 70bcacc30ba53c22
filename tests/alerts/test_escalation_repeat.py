"""Escalation never ends in silence: the policy's round repeats, then Keryu staff are told (issue 15, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import StaffProfile
from alerts import tasks
from alerts.models import (
    EscalationPolicy,
    NotificationAttempt,
    NotificationStatus,
    StaffEscalation,
    StaffEscalationStage,
)
from alerts.selectors import alarms_unacknowledged_for_staff
from alerts.services import (
    Report,
    alarm_acknowledge,
    alarm_create,
    alarms_escalate,
    attempt_deliver,
    attempts_release_due,
    policies_ensure,
    report_submit,
)
from alerts.services.escalation import (
    alarms_injured_to_staff,
    staff_escalation_notify,
    staff_escalation_open,
    staff_escalations_notify,
)
from messaging.channels import REGISTRY, ChannelError
from messaging.channels.base import Channel
from messaging.models import Message, MessageStatus

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _beat(clock, *, minutes: float) -> None:
    """What beat and a worker do every 10 s for `minutes`: release and escalate, then deliver what was queued."""
    for _ in range(round(minutes * 6)):
        clock.shift(timedelta(seconds=10))
        for pk in attempts_release_due() + alarms_escalate():
            attempt_deliver(attempt_id=pk)


def _beat_all(clock, *, minutes: float) -> None:
    """The whole `alerts.escalate` task every 30 s (hand-overs to staff included), then the worker's sends."""
    for _ in range(round(minutes * 2)):
        clock.shift(timedelta(seconds=30))
        tasks.escalate()
        due = NotificationAttempt.objects.filter(status=NotificationStatus.PENDING, not_before__isnull=True)
        for pk in due.values_list("pk", flat=True):
            attempt_deliver(attempt_id=pk)


def _told(alarm) -> list[str]:
    return sorted(Message.objects.filter(kind=alarm.situation_type).values_list("recipient_name", flat=True))


def _staff_messages(user) -> list[Message]:
    return list(Message.objects.filter(owner=user, kind="").order_by("pk"))


@pytest.fixture
def on_call(staff):
    StaffProfile.objects.create(user=staff, on_call=True, phone_number="+525599990000", preferred_channel="sms")
    return staff


def test_a_lost_alarm_nobody_acknowledges_is_sent_again_once_the_policy_has_run_out(alice_code, contacts):
    """Issue 15: three messages, "escalated to level 2 new_attempts=0", then nothing. With one channel per
    recipient the policy's levels find nothing new to try; the round itself must start again."""
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt_deliver(attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
        _beat(clock, minutes=29)
        family = sorted([str(alice_code.subject.custodian), "Abuela Rosa", "Uncle Tom"])
        assert _told(alarm) == family
        _beat(clock, minutes=2)  # 30 minutes: the policy's two levels are over, nobody answered
        assert _told(alarm) == sorted(family * 2)


def test_after_the_repeated_round_the_alarm_goes_to_staff_once(alice_code, contacts, on_call):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _beat_all(clock, minutes=59)
        assert not StaffEscalation.objects.exists() and _staff_messages(on_call) == []
        assert list(alarms_unacknowledged_for_staff()) == []
        _beat_all(clock, minutes=2)  # 60 minutes: the first round and its one repeat are over
        [escalation] = StaffEscalation.objects.all()
        assert (escalation.alarm_id, escalation.stage) == (alarm.pk, StaffEscalationStage.EXHAUSTED)
        [page] = _staff_messages(on_call)
        assert page.status == MessageStatus.SENT and f"alarm {alarm.pk}" in page.content
        assert f"/admin/snippets/alerts/alarm/inspect/{alarm.pk}/" in page.content
        assert "Sofía" not in page.content  # ids, never the family's details
        assert list(alarms_unacknowledged_for_staff()) == [alarm]
        _beat_all(clock, minutes=30)
    assert len(_staff_messages(on_call)) == 1
    assert StaffEscalation.objects.get().staff_told == 1
    family = [str(alice_code.subject.custodian), "Abuela Rosa", "Uncle Tom"]
    assert _told(alarm) == sorted(family * 2)  # two rounds, then staff: the family is not messaged forever
    alarm.refresh_from_db()
    assert alarm.escalation_round == 1


def test_each_situation_has_its_own_repeat_count(alice_code, on_call):
    policies_ensure()
    EscalationPolicy.objects.filter(situation_type="LOST").update(repeat=0)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        _beat_all(clock, minutes=29)
        assert not StaffEscalation.objects.exists()
        _beat_all(clock, minutes=2)  # no repeat: staff right after the first round
    assert StaffEscalation.objects.get().alarm_id == alarm.pk
    assert _told(alarm) == [str(alice_code.subject.custodian)]
    assert EscalationPolicy.objects.get(situation_type="CONTACT").repeat == 1


def test_a_repeated_round_starts_again_from_each_recipients_first_channel(alice_code, recording):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
        attempt_deliver(attempt_id=alarm.attempts.get().pk)
        _beat(clock, minutes=45)
    rows = alarm.attempts.order_by("created_at", "pk")
    assert [(a.escalation_round, a.wave, a.channel) for a in rows] == [
        (0, 0, "development"),
        (0, 1, "recording"),  # level 1: the next channel; level 2 finds none left
        (1, 0, "development"),  # the round again, from the first channel
        (1, 1, "recording"),
    ]
    assert {a.status for a in rows} == {NotificationStatus.SENT}


def test_an_injured_alarm_nobody_acknowledges_goes_to_staff_after_the_setting_once(
    alice_code, contacts, on_call, settings
):
    settings.KERYU_INJURED_STAFF_SECONDS = 300
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
        _beat_all(clock, minutes=4.5)
        assert not StaffEscalation.objects.exists()
        _beat_all(clock, minutes=1)
        [escalation] = StaffEscalation.objects.all()
        assert escalation.stage == StaffEscalationStage.INJURED and escalation.notified_at is not None
        assert "within 5 min of the injury report" in _staff_messages(on_call)[0].content
        assert list(alarms_unacknowledged_for_staff()) == [alarm]
        _beat_all(clock, minutes=10)
        assert alarms_injured_to_staff() == []
    assert StaffEscalation.objects.count() == 1
    assert len(_staff_messages(on_call)) == 1


def test_an_injured_alarm_acknowledged_in_time_never_goes_to_staff(alice_code, on_call, settings):
    settings.KERYU_INJURED_STAFF_SECONDS = 300
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="INJURED")
        _beat_all(clock, minutes=4)
        alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.first().pk)
        _beat_all(clock, minutes=20)
    assert not StaffEscalation.objects.exists()
    assert _staff_messages(on_call) == []


def test_an_alarm_upgraded_to_injured_counts_from_the_injury_report(alice_code, settings):
    settings.KERYU_INJURED_STAFF_SECONDS = 300
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        alarm = report_submit(qr_code=alice_code, report=Report(situation_type="LOST")).alarm
        clock.shift(timedelta(minutes=20))
        report_submit(qr_code=alice_code, report=Report(situation_type="INJURED"))
        clock.shift(timedelta(minutes=4))
        assert alarms_injured_to_staff() == []  # lost for 24 minutes, but injured for 4
        clock.shift(timedelta(minutes=1, seconds=1))
        assert alarms_injured_to_staff() == [alarm.pk]


def test_two_runs_at_once_hand_an_alarm_over_and_tell_staff_once(alice_code, on_call):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    first = staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    assert first is not None
    assert staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED) is None
    assert staff_escalation_notify(escalation_id=first.pk) is True
    assert staff_escalation_notify(escalation_id=first.pk) is False
    assert staff_escalations_notify() == []
    assert len(_staff_messages(on_call)) == 1


def test_a_hand_over_whose_worker_died_is_told_once_its_lease_ran_out(alice_code, on_call, settings):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    escalation = staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    lost = timezone.now() - timedelta(seconds=settings.KERYU_PROCESSING_LEASE_SECONDS - 5)
    StaffEscalation.objects.filter(pk=escalation.pk).update(claimed_at=lost)
    assert staff_escalations_notify() == []  # still within the lease: maybe still being sent
    StaffEscalation.objects.filter(pk=escalation.pk).update(claimed_at=lost - timedelta(seconds=10))
    assert staff_escalations_notify() == [escalation.pk]
    assert len(_staff_messages(on_call)) == 1


def test_an_alarm_acknowledged_before_staff_were_told_needs_nobody(alice_code, on_call):
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    escalation = staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    alarm_acknowledge(alarm_id=alarm.pk, attempt_id=alarm.attempts.get().pk)
    assert staff_escalation_notify(escalation_id=escalation.pk) is True
    escalation.refresh_from_db()
    assert escalation.notified_at is not None and escalation.staff_told == 0
    assert _staff_messages(on_call) == []
    assert list(alarms_unacknowledged_for_staff()) == []


class RefusingChannel(Channel):
    """A provider that refuses every message (a wrong number, say): the next channel must take over."""

    key = "refusing"

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        raise ChannelError("refused", permanent=True, code="refused")


@pytest.fixture
def refusing_first(settings):
    REGISTRY["refusing"] = RefusingChannel
    settings.KERYU_CHANNEL_ORDER = ["refusing", "development"]
    yield
    REGISTRY.pop("refusing", None)


def test_on_call_staff_are_told_on_their_next_channel_and_other_staff_by_mail(alice_code, on_call, refusing_first):
    colleague = UserFactory(username="colleague", is_staff=True, groups=["Staff"])
    off_duty = UserFactory(username="offduty", is_staff=True, groups=["Staff"])
    StaffProfile.objects.create(user=off_duty, on_call=False, phone_number="+525599990001")
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    mail.outbox.clear()
    escalation = staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    staff_escalation_notify(escalation_id=escalation.pk)
    pages = _staff_messages(on_call)
    assert [(m.channel, m.status) for m in pages] == [
        ("refusing", MessageStatus.FAILED),
        ("development", MessageStatus.SENT),
    ]
    assert pages[1].to == "+525599990000"
    assert [sorted(m.to) for m in mail.outbox] == [sorted([colleague.email, off_duty.email])]
    assert StaffEscalation.objects.get().staff_told == 3
