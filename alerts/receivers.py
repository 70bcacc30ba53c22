"""Receivers for messaging's signals: delivery news and inbound replies flow up into alerts."""

from __future__ import annotations

import logging
from typing import Any

from messaging.models import InboundMessage, Message

from .services import attempt_status_from_message, inbound_acknowledge
from .services.maintenance import reachability_status
from .services.reports import sms_report_parse

log = logging.getLogger(__name__)


def on_message_status_changed(sender: object, message: Message, status: str, **kwargs: Any) -> None:
    attempt_status_from_message(message_id=message.pk, status=status)
    reachability_status(message_id=message.pk, status=status)


def on_inbound_message_received(
    sender: object, inbound: InboundMessage | None = None, in_reply_to: Message | None = None, **kwargs: Any
) -> None:
    """A reply to an alarm message acknowledges it. A text that is a badge's short code is a finder's report:
    the public front door (home) answers those, so it is no acknowledgement."""
    body = str(getattr(inbound, "body", "") or getattr(inbound, "text", "") or "")
    if sms_report_parse(body) is not None:
        return
    inbound_acknowledge(in_reply_to_id=getattr(in_reply_to, "pk", None), body=body)
