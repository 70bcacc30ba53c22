"""Channel registry: key -> adapter class."""

from __future__ import annotations

from .base import Channel, ChannelError, ErrorAction, OutboundMessage, SendResult
from .development import DevelopmentChannel
from .email import EmailChannel
from .meta_whatsapp import MetaWhatsAppChannel
from .twilio import TwilioSMSChannel, TwilioWhatsAppChannel

REGISTRY: dict[str, type[Channel]] = {
    DevelopmentChannel.key: DevelopmentChannel,
    MetaWhatsAppChannel.key: MetaWhatsAppChannel,
    TwilioWhatsAppChannel.key: TwilioWhatsAppChannel,
    TwilioSMSChannel.key: TwilioSMSChannel,
    EmailChannel.key: EmailChannel,
}


def get_channel(key: str) -> Channel:
    try:
        return REGISTRY[key]()
    except KeyError:
        raise ChannelError(f"unknown channel {key!r}", permanent=True) from None


__all__ = ["REGISTRY", "Channel", "ChannelError", "ErrorAction", "OutboundMessage", "SendResult", "get_channel"]
