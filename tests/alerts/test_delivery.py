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
    assert "EXTRAVIADO" in Message.objects.get().content  # Alice reads Spanish


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
