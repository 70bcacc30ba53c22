"""An alarm's roll-up status is what its attempts say, whichever service changed them."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alarm, NotificationStatus
from alerts.services import alarm_create, attempt_deliver, attempts_release_due
from messaging.channels import REGISTRY, ChannelError
from messaging.channels.base import Channel, SendResult

pytestmark = pytest.mark.django_db


class RefusesOneAddress(Channel):
    """Reaches everyone but the number in `refused` (a custodian whose phone is off)."""

    key = "refuses_one"
    refused = ""

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        if message.to == RefusesOneAddress.refused:
            raise ChannelError("handset unreachable", permanent=True, code="30003")
        return SendResult(provider_message_id=f"ok-{message.message_id}")


@pytest.fixture
def custodian_unreachable(settings, alice_code):
    REGISTRY[RefusesOneAddress.key] = RefusesOneAddress
    RefusesOneAddress.refused = str(alice_code.subject.custodian.phone_number)
    settings.KERYU_CHANNEL_ORDER = [RefusesOneAddress.key]
    yield
    REGISTRY.pop(RefusesOneAddress.key, None)


def _status(alarm: Alarm) -> str:
    return Alarm.objects.values_list("notification_status", flat=True).get(pk=alarm.pk)


def test_failed_while_the_next_contact_waits_then_pending_then_sent_when_they_are_reached(
    alice_code, contacts, custodian_unreachable, staff, mailoutbox
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        alarm = alarm_create(qr_code=alice_code, situation_type="LOST")  # contacts at +5 and +10 minutes
        assert _status(alarm) == NotificationStatus.PENDING
        attempt_deliver(attempt_id=alarm.attempts.get(recipient_kind="custodian").pk)
        assert _status(alarm) == NotificationStatus.FAILED  # nobody reached, nobody in flight
        assert [m.subject for m in mailoutbox] == [f"Keryu: alarm {alarm.pk} reached nobody"]
        clock.shift(timedelta(seconds=301))
        (released,) = attempts_release_due()
        assert _status(alarm) == NotificationStatus.PENDING  # the first contact is on the way
        attempt_deliver(attempt_id=released)
    alarm.refresh_from_db()
    assert (alarm.notification_status, alarm.notification_sent, alarm.notification_error) == (
        NotificationStatus.SENT,
        True,
        "",
    )
    assert len(mailoutbox) == 1
