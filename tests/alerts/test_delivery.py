"""attempt_deliver: claim once, send once, classify failures."""

from __future__ import annotations

import pytest

from alerts.models import Alarm, NotificationAttempt, NotificationStatus
from alerts.services import MAX_RETRIES, alarm_create, attempt_deliver
from messaging.channels import REGISTRY, ChannelError
from messaging.channels.base import Channel, SendResult
from messaging.models import Message

pytestmark = pytest.mark.django_db


class ScriptedChannel(Channel):
    """A channel whose answers a test scripts: results or ChannelErrors, in order."""

    key = "scripted"
    script: list = []
    calls: list = []

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        ScriptedChannel.calls.append(message)
        outcome = ScriptedChannel.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return SendResult(provider_message_id=outcome)


@pytest.fixture
def scripted(settings):
    REGISTRY["scripted"] = ScriptedChannel
    settings.KERYU_CHANNEL_ORDER = ["scripted"]
    ScriptedChannel.script, ScriptedChannel.calls = [], []
    yield ScriptedChannel
    del REGISTRY["scripted"]


def _attempt(alice_code) -> NotificationAttempt:
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST", description="At the market")
    return alarm.attempts.get()


def test_an_attempt_is_sent_once_even_when_delivered_twice(alice_code, scripted):
    scripted.script = ["provider-1"]
    attempt = _attempt(alice_code)
    first = attempt_deliver(attempt_id=attempt.pk)
    second = attempt_deliver(attempt_id=attempt.pk)
    assert first.status == NotificationStatus.SENT and second is None
    assert len(scripted.calls) == 1
    message = Message.objects.get()
    assert message.provider_message_id == "provider-1" and message.status == "sent"
    assert "At the market" in message.content
    alarm = Alarm.objects.get()
    assert alarm.notification_sent and alarm.notification_attempts == 1


def test_message_is_in_the_custodians_language(alice_code, scripted):
    scripted.script = ["provider-1"]
    attempt_deliver(attempt_id=_attempt(alice_code).pk)
    assert "PERSONA EXTRAVIADA" in Message.objects.get().content  # Alice reads Spanish


def test_a_transient_error_puts_the_attempt_back_for_a_retry_with_the_same_message(alice_code, scripted):
    scripted.script = [ChannelError("503 from provider", permanent=False, code="503"), "provider-2"]
    attempt = _attempt(alice_code)
    with pytest.raises(ChannelError):
        attempt_deliver(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == NotificationStatus.PENDING and attempt.retry_count == 1
    attempt_deliver(attempt_id=attempt.pk)
    attempt.refresh_from_db()
    assert attempt.status == NotificationStatus.SENT
    assert Message.objects.count() == 1  # the retry reuses the message row


def test_a_permanent_error_fails_at_once_without_retrying(alice_code, scripted):
    scripted.script = [ChannelError("invalid number", permanent=True, code="21211")]
    attempt = _attempt(alice_code)
    result = attempt_deliver(attempt_id=attempt.pk)
    assert result.status == NotificationStatus.FAILED and len(scripted.calls) == 1
    assert Alarm.objects.get().notification_status == NotificationStatus.FAILED
    assert Message.objects.get().status == "failed"


def test_transient_errors_stop_after_the_retry_budget(alice_code, scripted):
    scripted.script = [ChannelError("timeout", permanent=False)] * (MAX_RETRIES + 1)
    attempt = _attempt(alice_code)
    for _ in range(MAX_RETRIES):
        with pytest.raises(ChannelError):
            attempt_deliver(attempt_id=attempt.pk)
    result = attempt_deliver(attempt_id=attempt.pk)
    assert result.status == NotificationStatus.FAILED
    assert len(scripted.calls) == MAX_RETRIES + 1


def test_test_situation_marks_the_alarm_as_a_test(alice_code):
    alarm = alarm_create(qr_code=alice_code, situation_type="TEST")
    assert alarm.is_test


def test_an_unknown_situation_is_refused(alice_code):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        alarm_create(qr_code=alice_code, situation_type="PANIC")


@pytest.fixture
def two_channels(settings, scripted):
    """Scripted first, the development channel as the fallback."""
    settings.KERYU_CHANNEL_ORDER = ["scripted", "development"]
    return scripted


def test_a_permanent_error_moves_straight_to_the_next_channel(alice_code, two_channels):
    two_channels.script = [ChannelError("invalid number", permanent=True, code="21211")]
    attempt = _attempt_first(alice_code)
    attempt_deliver(attempt_id=attempt.pk)
    fallback = NotificationAttempt.objects.get(channel="development")
    assert attempt_deliver(attempt_id=fallback.pk).status == NotificationStatus.SENT
    assert len(two_channels.calls) == 1
    assert Alarm.objects.get().notification_status == NotificationStatus.SENT


def test_a_stop_error_alerts_staff_and_moves_on(alice_code, two_channels, staff, mailoutbox):
    two_channels.script = [ChannelError("bad credentials", permanent=True, code="401", action="stop")]
    attempt_deliver(attempt_id=_attempt_first(alice_code).pk)
    assert NotificationAttempt.objects.filter(channel="development", status=NotificationStatus.PENDING).exists()
    assert len(mailoutbox) == 1 and "scripted" in mailoutbox[0].subject
    assert "Sof" not in mailoutbox[0].body  # ids only, no personal data


def test_every_channel_failing_marks_the_alarm_failed_and_alerts_staff(alice_code, scripted, staff, mailoutbox):
    scripted.script = [ChannelError("invalid number", permanent=True)]
    result = attempt_deliver(attempt_id=_attempt_first(alice_code).pk)
    assert result.status == NotificationStatus.FAILED
    alarm = Alarm.objects.get()
    assert alarm.notification_status == NotificationStatus.FAILED
    assert [m.subject for m in mailoutbox] == [f"Keryu: alarm {alarm.pk} reached nobody"]


def test_retry_failed_puts_failed_attempts_back_in_the_outbox(alice_code, scripted):
    from alerts.services import alarm_retry_failed

    scripted.script = [ChannelError("invalid number", permanent=True), "provider-9"]
    attempt = _attempt_first(alice_code)
    attempt_deliver(attempt_id=attempt.pk)
    alarm = Alarm.objects.get()
    assert alarm_retry_failed(alarm=alarm) == 1
    assert attempt_deliver(attempt_id=attempt.pk).status == NotificationStatus.SENT
    alarm.refresh_from_db()
    assert alarm.notification_status == NotificationStatus.SENT


def _attempt_first(alice_code) -> NotificationAttempt:
    alarm = alarm_create(qr_code=alice_code, situation_type="LOST")
    return alarm.attempts.get()


def test_a_worker_whose_lease_expired_does_not_relink_the_attempt_another_worker_sent(
    alice_code, scripted, monkeypatch
):
    """Found by the spread drill (tests/test_spread_drill.py) on a loaded machine: worker 1 claims the row and
    stalls before writing its message; the sweeper takes the row back (lease expired, nothing dispatched) and
    worker 2 sends it. Worker 1 then wakes up. It must not point the attempt at a message of its own, or the
    sent message's receipt no longer reaches the attempt (and the WhatsApp follow-up sends it again by SMS)."""
    from alerts.services import delivery
    from alerts.services.delivery import attempt_reclaim

    scripted.script = ["provider-1"]
    attempt = _attempt(alice_code)
    context = delivery.message_context
    stalled = []

    def worker_2_meanwhile(row, **kwargs):
        if not stalled:  # worker 1's first step towards its message: the lease runs out here
            stalled.append(row.pk)
            claimed_at = NotificationAttempt.objects.values_list("claimed_at", flat=True).get(pk=row.pk)
            assert attempt_reclaim(attempt_id=row.pk, claimed_at=claimed_at) == NotificationStatus.PENDING
            assert attempt_deliver(attempt_id=row.pk).status == NotificationStatus.SENT
        return context(row, **kwargs)

    monkeypatch.setattr(delivery, "message_context", worker_2_meanwhile)
    assert attempt_deliver(attempt_id=attempt.pk) is None  # worker 1: changed hands, not sent
    assert stalled == [attempt.pk] and len(scripted.calls) == 1
    attempt.refresh_from_db()
    assert attempt.status == NotificationStatus.SENT
    assert attempt.message.provider_message_id == "provider-1"  # still the message that went out
    assert Message.objects.count() == 1
