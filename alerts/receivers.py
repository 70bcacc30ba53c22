"""Receivers for messaging's signals: delivery news flows up into alerts."""

from __future__ import annotations

from typing import Any

from messaging.models import Message

from .services import attempt_status_from_message
from .services.maintenance import reachability_status


def on_message_status_changed(sender: object, message: Message, status: str, **kwargs: Any) -> None:
    attempt_status_from_message(message_id=message.pk, status=status)
    reachability_status(message_id=message.pk, status=status)
