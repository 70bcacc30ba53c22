"""Which channel a recipient is tried on next: the one place every sender asks (alarms, fallbacks,
escalation, notices, drills, verification codes)."""

from __future__ import annotations

from collections.abc import Collection

from ..channels import channel_address
from ..selectors import addresses_disowned, channel_order


def channel_next(*, preferred: str | None, phone: str = "", email: str = "", tried: Collection[str] = ()) -> str | None:
    """The first channel, in staff's order (configured channels only, the recipient's `preferred` family
    first; selectors.channel_order), that has an address for this recipient and is not in `tried`.
    None when no channel is left.

    An address whose holder answered "wrong number" is never chosen (selectors.addresses_disowned).
    A rule about who may be reached on which channel when (WhatsApp's 24-hour window for free text, say)
    goes here, and every path that picks a channel follows it.
    """
    disowned = addresses_disowned((phone, email))
    for key in channel_order(preferred=preferred):
        address = channel_address(key, phone=phone, email=email)
        if key not in tried and address and address not in disowned:
            return key
    return None
