"""Reads for messaging, including the one place that defines which messages a user may see."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from core.config_cache import config_forget, config_get
from core.roles import scope_to_owner, user_is_staff

from .channels import CHANNEL_FAMILIES, REGISTRY
from .formatting import address_hash
from .models import (
    ChannelSetting,
    ConversationWindow,
    FlaggedAddress,
    FlagReason,
    InboundMessage,
    Message,
    MessageTemplate,
    MetaApproval,
    MetaTemplateStatus,
)

if TYPE_CHECKING:
    from core.roles import RequestUser


def messages_visible_to(user: RequestUser) -> QuerySet[Message]:
    return scope_to_owner(Message.objects.select_related("template"), user, owner="owner")


def inbound_visible_to(user: RequestUser) -> QuerySet[InboundMessage]:
    return scope_to_owner(InboundMessage.objects.select_related("in_reply_to"), user, owner="owner")


def flagged_addresses_visible_to(user: RequestUser) -> QuerySet[FlaggedAddress]:
    """Addresses providers keep failing to reach: a staff worklist, nobody else's business."""
    return FlaggedAddress.objects.all() if user_is_staff(user) else FlaggedAddress.objects.none()


def addresses_disowned(addresses: Collection[str]) -> set[str]:
    """Those of `addresses` whose holder answered "wrong number" (on any channel): nothing is sent to them."""
    hashes = {address_hash(a): a for a in addresses if a}
    if not hashes:
        return set()
    found = FlaggedAddress.objects.filter(reason=FlagReason.WRONG_NUMBER, address_hash__in=list(hashes))
    return {hashes[h] for h in found.values_list("address_hash", flat=True)}


def address_hash_disowned(key: str) -> bool:
    """addresses_disowned for an address already stored as its hash (a Message's address_hash)."""
    return bool(key) and FlaggedAddress.objects.filter(reason=FlagReason.WRONG_NUMBER, address_hash=key).exists()


def channel_is_configured(key: str) -> bool:
    cls = REGISTRY.get(key)
    return bool(cls and cls().is_configured())


CHANNEL_ORDER_KEY = "keryu:config:channel-order"


def _channel_order_chosen() -> list[str]:
    return list(
        ChannelSetting.objects.filter(position__isnull=False).order_by("position", "key").values_list("key", flat=True)
    )


def channel_order_forget(**kwargs: object) -> None:
    """Connected to every write of a channel setting (messaging.apps); channel_order_set calls it too."""
    config_forget(CHANNEL_ORDER_KEY)


def channel_order_configured() -> list[str]:
    """The order staff chose (or KERYU_CHANNEL_ORDER while they chose none), configured or not. Read from the
    shared cache (core.config_cache): every alarm and send reads it."""
    chosen = config_get(CHANNEL_ORDER_KEY, _channel_order_chosen)
    keys = chosen or list(settings.KERYU_CHANNEL_ORDER)
    return list(dict.fromkeys(k for k in keys if k))


def channel_order(preferred: str | None = None) -> list[str]:
    """Channel keys in the order delivery tries them: staff's order, configured channels only.

    `preferred` is a recipient's family ("whatsapp", "sms" or "email"): that family's channels move to the
    front, keeping staff's order within each part. "development" when nothing else is configured.
    """
    keys = [k for k in channel_order_configured() if channel_is_configured(k)]
    family = CHANNEL_FAMILIES.get(preferred or "", ())
    if family:
        keys = [k for k in keys if k in family] + [k for k in keys if k not in family]
    return keys or ["development"]


def meta_template_approval(template: MessageTemplate) -> str:
    """Meta's word on this template's WhatsApp counterpart; UNKNOWN until a webhook (or staff) says."""
    if not template.whatsapp_template_name:
        return ""
    row = (
        MetaTemplateStatus.objects.filter(
            name=template.whatsapp_template_name, language_code=template.whatsapp_language_code
        )
        .values_list("status", "recategorised")
        .first()
    )
    if row is None:
        return MetaApproval.UNKNOWN
    status, recategorised = row
    # Recategorised by Meta: not what was approved to send; held back until Meta approves it again.
    return RECATEGORISED if recategorised and status == MetaApproval.APPROVED else status


def meta_template_record(template: MessageTemplate) -> MetaTemplateStatus | None:
    if not template.whatsapp_template_name:
        return None
    return MetaTemplateStatus.objects.filter(
        name=template.whatsapp_template_name, language_code=template.whatsapp_language_code
    ).first()


RECATEGORISED = "RECATEGORISED"
WINDOW = timedelta(hours=24)


def window_is_open(*, address_hash: str, channel: str) -> bool:
    """Whether WhatsApp's 24-hour window is open for this address on this channel (it wrote to us within 24 h)."""
    if not address_hash:
        return False
    return ConversationWindow.objects.filter(
        address_hash=address_hash, channel=channel, last_inbound_at__gt=timezone.now() - WINDOW
    ).exists()


def message_for_reply(*, channel_family: tuple[str, ...], address_hash: str) -> Message | None:
    """The latest message we sent this address on these channels: what a reply without context answers."""
    return (
        Message.objects.filter(channel__in=channel_family, address_hash=address_hash)
        .exclude(provider_message_id=None)
        .order_by("-created_at")
        .first()
    )


def unreachable_before(*, sid: str, message_id: int | None) -> bool:
    """Did Twilio already report this message's address unreachable (30003) on an earlier message?"""
    message = Message.objects.filter(provider_message_id=sid).first()
    if message is None and message_id is not None:
        message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return False
    return (
        Message.objects.filter(channel=message.channel, address_hash=message.address_hash, error_code="30003")
        .exclude(pk=message.pk)
        .exists()
    )
