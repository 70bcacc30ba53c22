"""Channel registry: key -> adapter class."""

from __future__ import annotations

from .base import Channel, ChannelError, OutboundMessage, SendResult
from .development import DevelopmentChannel

REGISTRY: dict[str, type[Channel]] = {
    DevelopmentChannel.key: DevelopmentChannel,
}


def get_channel(key: str) -> Channel:
    try:
        return REGISTRY[key]()
    except KeyError:
        raise ChannelError(f"unknown channel {key!r}", permanent=True) from None


__all__ = ["REGISTRY", "Channel", "ChannelError", "OutboundMessage", "SendResult", "get_channel"]
