"""Reach one person: try their channels in order until one takes the message. Every one-off send (notices,
staff pages, inactive-scan and drill-flag notices) goes through here; alarm attempts and drills keep their own
loops because each try there is a recorded row of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from ..channels import ChannelError, channel_address
from ..models import Message
from .channel_choice import channel_next
from .messages import message_send

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reached:
    """What a `message_send_first` ended with. `message` is the one that went out, or may have (`uncertain`:
    the provider may have it, so no other channel was tried); None when no channel took it (`error`: why the
    last one refused, or that none could reach the person)."""

    message: Message | None
    channel: str = ""
    uncertain: bool = False
    error: str = ""


def message_send_first(
    *,
    compose: Callable[[str, str], Message],
    preferred: str | None,
    phone: str = "",
    email: str = "",
    tried: set[str] | None = None,
    label: str = "message",
) -> Reached:
    """`compose(channel, address)` makes the pending message for each channel tried, in messaging's order
    (channel_next); the first one sent ends it. `label` names the send in the log (ids only, no addresses)."""
    tried = set() if tried is None else tried
    error = "no channel reaches this recipient"
    while channel := channel_next(preferred=preferred, phone=phone, email=email, tried=tried):
        tried.add(channel)
        message = compose(channel, channel_address(channel, phone=phone, email=email))
        try:
            message_send(message=message)
        except ChannelError as exc:
            error = str(exc)[:500]
            log.warning("%s channel=%s failed code=%s", label, channel, exc.code)
            if exc.uncertain:
                return Reached(message=message, channel=channel, uncertain=True, error=error)
            continue
        log.info("%s sent channel=%s message=%s", label, channel, message.pk)
        return Reached(message=message, channel=channel)
    log.warning("%s reached nobody", label)
    return Reached(message=None, error=error)
