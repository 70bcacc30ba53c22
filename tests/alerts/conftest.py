"""Alerts fixtures: a subject with two emergency contacts and a doctor, and a second recording channel."""

from __future__ import annotations

import pytest

from messaging.channels import REGISTRY
from messaging.channels.base import Channel, SendResult
from registry.models import EmergencyContact


class RecordingChannel(Channel):
    """A second channel for fallback and escalation tests; records what it was asked to send."""

    key = "recording"
    calls: list = []

    def is_configured(self) -> bool:
        return True

    def send(self, message):
        RecordingChannel.calls.append(message)
        return SendResult(provider_message_id=f"rec-{message.message_id}")


@pytest.fixture
def recording(settings):
    REGISTRY["recording"] = RecordingChannel
    RecordingChannel.calls = []
    settings.KERYU_CHANNEL_ORDER = ["development", "recording"]
    yield RecordingChannel
    REGISTRY.pop("recording", None)


@pytest.fixture
def contacts(alice_subject):
    alice_subject.doctor_name = "Dr. Ruiz"
    alice_subject.doctor_phone = "+525511112222"
    alice_subject.save()
    return [
        EmergencyContact.objects.create(
            subject=alice_subject, name="Abuela Rosa", phone_number="+525533334444", language="es", sort_order=0
        ),
        EmergencyContact.objects.create(
            subject=alice_subject, name="Uncle Tom", phone_number="+525555556666", language="en", sort_order=1
        ),
    ]
