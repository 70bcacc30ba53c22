"""Escalation never ends in silence: the policy's round repeats, then Keryu staff are told (issue 15, item 5)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.services import alarm_create, alarms_escalate, attempt_deliver, attempts_release_due
from messaging.models import Message

pytestmark = pytest.mark.django_db


def _beat(clock, *, minutes: int) -> None:
    """What beat and a worker do every 10 s for `minutes`: release and escalate, then deliver what was queued."""
    for _ in range(minutes * 6):
        clock.shift(timedelta(seconds=10))
        for pk in attempts_release_due() + alarms_escalate():
            attempt_deliver(attempt_id=pk)


def _told(alarm) -> list[str]:
    return sorted(Message.objects.filter(kind=alarm.situation_type).values_list("recipient_name", flat=True))


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
