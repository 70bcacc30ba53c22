"""Sending within the providers' limits (issue 16, item 5): every send waits for its sender's token, and a
WhatsApp sender starts at most its tier of new conversations in 24 hours.

Rates are per sender, as the providers count them: Meta per phone number id, Twilio per WhatsApp sender and per
SMS long code, email per setting (MESSAGING_SEND_RATES). The bucket runs a little below the provider's rate
(MESSAGING_RATE_MARGIN) so that network jitter between our clock and theirs never puts two sends closer together
than the provider measures. A new conversation beyond the tier is refused on that WhatsApp channel with
`conversation_limit` (a SWITCH): the recipient's next channel (SMS in the shipped order) takes it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings

from core.counters import token_bucket_wait_record
from core.throttle import bucket_take, window_admit, window_count

from ..channels import CHANNEL_FAMILIES, ChannelError, ErrorAction, Family
from ..channels.meta_whatsapp import MetaWhatsAppChannel
from ..channels.twilio import TwilioSMSChannel, TwilioWhatsAppChannel

log = logging.getLogger(__name__)

CONVERSATION_LIMIT_CODE = "conversation_limit"
DAY = 86400


def sender_id(channel: str) -> str | None:
    """Who the provider counts a send against; None for a channel without a limit (development)."""
    if channel == MetaWhatsAppChannel.key:
        return f"{channel}:{settings.WHATSAPP_PHONE_NUMBER_ID}"
    if channel == TwilioWhatsAppChannel.key:
        return f"{channel}:{settings.TWILIO_WHATSAPP_NUMBER}"
    if channel == TwilioSMSChannel.key:
        return f"{channel}:{settings.TWILIO_PHONE_NUMBER}"
    if channel in settings.MESSAGING_SEND_RATES:
        return channel
    return None


def send_rate(channel: str) -> float:
    """Messages per second the bucket lets through for one sender of `channel` (0: no limit)."""
    margin: float = settings.MESSAGING_RATE_MARGIN
    return float(settings.MESSAGING_SEND_RATES.get(channel, 0)) * margin


def send_slot_wait(*, channel: str) -> float:
    """Wait for this send's slot in its sender's bucket; the seconds waited (also counted for the metrics)."""
    sender, rate = sender_id(channel), send_rate(channel)
    if sender is None or rate <= 0:
        return 0.0
    wait = bucket_take(key=sender, rate=rate)
    if wait > 0:
        time.sleep(wait)
        token_bucket_wait_record(channel=channel, seconds=wait)
    return wait


def conversation_admit(*, channel: str, address_hash: str) -> None:
    """Count a WhatsApp recipient against its sender's 24-hour tier of new conversations; raise a SWITCH
    ChannelError for a new one beyond it. A recipient already started in the last 24 h always passes."""
    if channel not in CHANNEL_FAMILIES[Family.WHATSAPP] or not address_hash:
        return
    sender = sender_id(channel)
    if sender is None:
        return
    admission = window_admit(
        key=f"conversations:{sender}", member=address_hash, limit=settings.KERYU_WHATSAPP_CONVERSATION_TIER
    )
    if not admission.admitted:
        log.warning("conversation tier reached channel=%s count=%s", channel, admission.count)
        raise ChannelError(
            f"{channel}: {admission.count} new conversations in 24 h, the account's tier; this one goes elsewhere",
            permanent=True,
            code=CONVERSATION_LIMIT_CODE,
            action=ErrorAction.SWITCH,
        )


@dataclass(frozen=True)
class ConversationUsage:
    channel: str
    count: int
    tier: int

    @property
    def ratio(self) -> float:
        return self.count / self.tier if self.tier else 0.0


def conversation_usage() -> list[ConversationUsage]:
    """New conversations each WhatsApp channel started in the last 24 h, against the tier."""
    tier = settings.KERYU_WHATSAPP_CONVERSATION_TIER
    usage = []
    for channel in CHANNEL_FAMILIES[Family.WHATSAPP]:
        sender = sender_id(channel)
        if sender is not None:
            usage.append(ConversationUsage(channel, window_count(key=f"conversations:{sender}", seconds=DAY), tier))
    return usage
