"""What the finder's page says is true, read from the page itself (and its status JSON) as a finder sees it.

Each of these failed before the finder's state machine (alerts.services.finder_state): an alarm whose every
channel failed said "The family is being notified now", a message the channel reported delivered never ticked,
a resolved alarm left the page at "notifying", and a later finder saw the earlier finder's note.
"""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.utils import timezone

from alerts.models import Alarm, NotificationStatus
from alerts.services import alarm_acknowledge, alarm_resolve, attempt_deliver
from messaging.channels import REGISTRY, ChannelError
from messaging.channels.base import Channel

pytestmark = pytest.mark.django_db


class RefusesEveryone(Channel):
    """A channel whose provider refuses every address (the custodian's phone and email are both dead)."""

    key = "refuses_everyone"

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        raise ChannelError("unreachable", permanent=True, code="30003")


def _report(client, code, **data) -> str:
    response = client.post(f"/scan/{code.uuid}/", {"situation_type": "LOST", "location": "Metro", **data})
    assert response.status_code == 302
    return response.url


def test_every_custodian_channel_failing_is_said_with_the_emergency_number_and_staff_alerted(
    client, alice_code, settings, staff, mailoutbox
):
    REGISTRY[RefusesEveryone.key] = RefusesEveryone
    settings.KERYU_CHANNEL_ORDER = [RefusesEveryone.key]
    try:
        url = _report(client, alice_code)
        alarm = Alarm.objects.get()
        attempt_deliver(attempt_id=alarm.attempts.get().pk)
    finally:
        REGISTRY.pop(RefusesEveryone.key, None)
    html = unescape(client.get(url).content.decode())
    assert "The family is being notified now" not in html
    assert "We could not reach the family yet" in html and "Keryu's team has been alerted" in html
    assert "911" in html
    assert client.get(url + "status/").json()["state"] == "unreached"
    assert len(mailoutbox) == 1  # staff told once


def test_a_message_the_channel_reports_delivered_ticks_and_names_the_role(client, alice_code):
    url = _report(client, alice_code)
    alarm = Alarm.objects.get()
    alarm.attempts.update(status=NotificationStatus.DELIVERED, delivered_at=timezone.now())
    status = client.get(url + "status/").json()
    delivered = next(step for step in status["steps"] if step["id"] == "delivered")
    assert delivered["done"] and delivered["label"] == "Message delivered to a family member"


def test_an_alarm_resolved_without_acknowledgement_closes_the_finders_page(client, alice_code, alice):
    url = _report(client, alice_code)
    alarm_resolve(alarm=Alarm.objects.get(), user=alice, notes="Found her at home")
    html = client.get(url).content.decode()
    assert "This alarm is closed" in html and "The family is being notified now" not in html
    assert "Found her at home" not in html  # the resolution notes are the family's record, not the finder's
    assert client.get(url + "status/").json()["final"] is True


def test_a_later_finder_on_an_acknowledged_alarm_is_told_the_family_knows_and_never_sees_the_first_note(
    client, alice_code
):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = _report(client, alice_code)
        alarm = Alarm.objects.get()
        attempt = alarm.attempts.get()
        alarm_acknowledge(alarm_id=alarm.pk, attempt_id=attempt.pk, note="Ana: voy por ella, espera en la fuente")
        assert "voy por ella" in client.get(first).content.decode()
        clock.shift(timedelta(minutes=22))
        later = _report(client, alice_code, location="Parque México")
        html = client.get(later).content.decode()
        status = client.get(later + "status/").json()
    assert "voy por ella" not in html and "voy por ella" not in str(status)
    assert "The family already knows" in html and status["state"] == "already_known"
    assert "Acknowledged by the family" not in html
