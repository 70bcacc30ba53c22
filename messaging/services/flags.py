"""Addresses people tell us about: "wrong number" stops every message to that address, on every channel."""

from __future__ import annotations

import logging

from ..formatting import address_hash
from ..models import FlaggedAddress, FlagReason, Message

log = logging.getLogger(__name__)

WRONG_NUMBER_CODE = "wrong_number"


def address_flag_wrong_number(*, channel: str, address: str, message: Message | None = None) -> FlaggedAddress:
    """The holder of `address` says it is not the person we meant. From now on channel_next never picks it
    (on any channel: the flag is matched on the address's hash); a sender that chose it earlier checks
    `selectors.address_hash_disowned` before the provider call (alerts' delivery does). Idempotent."""
    flag, _ = FlaggedAddress.objects.update_or_create(
        channel=channel,
        address_hash=address_hash(address),
        defaults={"code": WRONG_NUMBER_CODE, "reason": FlagReason.WRONG_NUMBER, "message": message},
    )
    log.info("address flagged wrong number flag=%s channel=%s", flag.pk, channel)
    return flag
