"""Receivers for messaging's signals: delivery news and inbound messages flow up into alerts."""

from __future__ import annotations

from typing import Any

from messaging.models import InboundMessage, Message

from .services import attempt_status_from_message
from .services.drills import reachability_answered, reachability_status


def on_message_status_changed(sender: object, message: Message, status: str, **kwargs: Any) -> None:
    attempt_status_from_message(message_id=message.pk, status=status)
    reachability_status(message=message, status=status)


def on_inbound_message_received(sender: object, inbound: InboundMessage, **kwargs: Any) -> None:
    """Whoever writes to us can be reached there: their drill flags on that channel clear."""
    reachability_answered(channel=inbound.channel, address_hash=inbound.address_hash)
