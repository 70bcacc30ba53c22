"""What providers tell us through webhooks: delivery statuses and inbound replies.

Both are idempotent: a status only moves up STATUS_RANK (replays, duplicates and late arrivals change
nothing) and an inbound reply is recorded once per provider id. Unknown ids are logged and ignored.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..channels import CHANNEL_FAMILIES, channel_family
from ..formatting import address_hash
from ..inbound import inbound_answer
from ..models import STATUS_RANK, InboundMessage, Message, MessageStatus
from ..selectors import message_for_reply
from ..signals import inbound_message_received, message_status_changed

log = logging.getLogger(__name__)


def _find(*, provider_message_id: str, message_id: int | None) -> Message | None:
    message = Message.objects.filter(provider_message_id=provider_message_id).first()
    if message is None and message_id is not None:
        # The webhook can beat our own write of the provider id; our id rode along with the send.
        message = Message.objects.filter(pk=message_id, provider_message_id=None).first()
    return message


def message_status_apply(
    *,
    provider_message_id: str,
    status: str,
    message_id: int | None = None,
    error_code: str = "",
    error_message: str = "",
    error_action: str = "",
) -> Message | None:
    """Move a message forward to `status`; returns it when it changed, None otherwise."""
    message = _find(provider_message_id=provider_message_id, message_id=message_id)
    if message is None:
        log.info("status for unknown message provider_id=%s status=%s", provider_message_id, status)
        return None
    rank = STATUS_RANK[status]
    lower = [s for s, r in STATUS_RANK.items() if r < rank]
    now = timezone.now()
    fields: dict[str, object] = {"status": status, "updated_at": now}
    if message.provider_message_id is None:
        fields["provider_message_id"] = provider_message_id
    if status == MessageStatus.DELIVERED:
        fields["delivered_at"] = now
    elif status == MessageStatus.READ:
        fields["read_at"] = now
    elif status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        fields.update(
            error_code=str(error_code)[:32], error_message=error_message[:2000], error_action=error_action or ""
        )
    try:
        with transaction.atomic():
            changed = Message.objects.filter(pk=message.pk, status__in=lower).update(**fields)
    except IntegrityError:
        log.warning("provider id already on another message id=%s", message.pk)
        return None
    if changed != 1:
        log.info("status ignored id=%s status=%s (not forward)", message.pk, status)
        return None
    message.refresh_from_db()
    log.info("message status id=%s channel=%s status=%s code=%s", message.pk, message.channel, status, error_code)
    message_status_changed.send(sender=Message, message=message, status=message.status)
    return message


def inbound_record(
    *, channel: str, from_address: str, body: str, provider_message_id: str, context_provider_id: str = ""
) -> InboundMessage | None:
    """Record a reply once, have it answered and announce it; a duplicate delivery returns None and does
    nothing more."""
    key = address_hash(from_address)
    in_reply_to = None
    if context_provider_id:
        in_reply_to = Message.objects.filter(provider_message_id=context_provider_id).first()
    if in_reply_to is None:
        family = CHANNEL_FAMILIES.get(channel_family(channel), (channel,))
        in_reply_to = message_for_reply(channel_family=family, address_hash=key)
    try:
        with transaction.atomic():
            inbound, created = InboundMessage.objects.get_or_create(
                provider_message_id=provider_message_id,
                defaults={
                    "channel": channel,
                    "from_address": from_address,
                    "address_hash": key,
                    "body": body[:4000],
                    "in_reply_to": in_reply_to,
                    "owner_id": in_reply_to.owner_id if in_reply_to else None,
                },
            )
    except IntegrityError:
        created = False
    if not created:
        log.info("inbound duplicate provider_id=%s", provider_message_id)
        return None
    log.info(
        "inbound recorded id=%s channel=%s in_reply_to=%s", inbound.pk, channel, in_reply_to.pk if in_reply_to else None
    )
    # The registered handler (messaging.inbound) says what the message means and what to answer the sender
    # (a finder's SMS report is confirmed); the webhook replies with it.
    reply = inbound_answer(inbound)[:1600]
    if reply:
        InboundMessage.objects.filter(pk=inbound.pk).update(auto_reply=reply)
        inbound.auto_reply = reply
    inbound_message_received.send(sender=InboundMessage, inbound=inbound, in_reply_to=in_reply_to)
    return inbound
