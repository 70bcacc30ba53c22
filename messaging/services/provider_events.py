"""What providers tell us through webhooks: delivery statuses and inbound replies.

Both are idempotent: a status only moves up STATUS_RANK (replays, duplicates and late arrivals change
nothing) and an inbound reply is recorded once per provider id. Unknown ids are logged and ignored.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from ..channels import CHANNEL_FAMILIES, ChannelError, channel_family, channel_spec
from ..formatting import address_hash
from ..inbound import inbound_answer
from ..models import STATUS_RANK, ConversationWindow, InboundMessage, Message, MessageStatus
from ..selectors import message_for_reply
from ..signals import inbound_message_received, message_status_changed
from .messages import message_create, message_send

log = logging.getLogger(__name__)


def _find(*, provider_message_id: str, message_id: int | None) -> Message | None:
    """The message a status is about: by the provider's id, or by ours (it rode along with the send) while the
    provider's id is not stored yet, because the webhook can beat the sender's write of it. One statement: as
    two lookups, the sender's commit could fall between them and each miss (a receipt dropped)."""
    match = Q(provider_message_id=provider_message_id)
    if message_id is not None:
        match |= Q(pk=message_id, provider_message_id=None)
    return Message.objects.filter(match).order_by(F("provider_message_id").asc(nulls_last=True)).first()


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
    *,
    channel: str,
    from_address: str,
    body: str,
    provider_message_id: str,
    context_provider_id: str = "",
    payload: str = "",
) -> InboundMessage | None:
    """Record a reply once, have it answered and announce it; a duplicate delivery returns None and does
    nothing more.

    `context_provider_id` is the provider's reply context (the id of our message the sender replied to) and
    `payload` a WhatsApp button's payload; both are kept as given for the handler, which decides what the reply
    answers (and may link it to another message with inbound_link).
    """
    key = address_hash(from_address)
    window_open_from_inbound(address_hash=key, channel=channel)
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
                    "payload": payload[:256],
                    "context_provider_id": context_provider_id[:128],
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
    # (a finder's SMS report is confirmed, a reply to an alarm is acknowledged, noted or answered with the
    # options); the webhook replies with it.
    reply = inbound_answer(inbound)[:1600]
    if reply:
        InboundMessage.objects.filter(pk=inbound.pk).update(auto_reply=reply)
        inbound.auto_reply = reply
        if not channel_spec(channel).answers_in_webhook:
            transaction.on_commit(partial(_answer_enqueue, inbound.pk))
    inbound_message_received.send(sender=InboundMessage, inbound=inbound, in_reply_to=inbound.in_reply_to)
    return inbound


def window_open_from_inbound(*, address_hash: str, channel: str) -> None:
    """The address wrote to us (a message or a button tap): its 24-hour window on this channel (re)opens now."""
    if not address_hash:
        return
    ConversationWindow.objects.update_or_create(
        address_hash=address_hash, channel=channel, defaults={"last_inbound_at": timezone.now()}
    )


def inbound_link(*, inbound: InboundMessage, message: Message) -> None:
    """The handler found which of our messages `inbound` answers: record it (and scope the reply to that
    message's owner) in place of the guess inbound_record made from the address alone."""
    if inbound.in_reply_to_id == message.pk:
        return
    if inbound.pk is not None:
        InboundMessage.objects.filter(pk=inbound.pk).update(in_reply_to=message, owner_id=message.owner_id)
    inbound.in_reply_to = message
    inbound.owner_id = message.owner_id


def _answer_enqueue(inbound_id: int) -> None:
    from ..tasks import send_inbound_answer

    try:
        send_inbound_answer.delay(inbound_id)
    except Exception as exc:  # the broker is away: the reply was recorded and acted on; only the answer is lost
        log.warning("inbound id=%s: answer not queued (%s)", inbound_id, type(exc).__name__)


def inbound_answer_send(*, inbound_id: int) -> Message | None:
    """Send `auto_reply` back to the sender as a message of its own, on the channel they wrote on (a provider
    whose webhook cannot carry it: Meta). They just wrote, so WhatsApp's 24-hour window is open for free text.

    The message is written once (the inbound row is locked while its `answer` is set), so a redelivered task
    sends it at most once more only if the first send never recorded its outcome. Raises ChannelError for a
    transient failure (the task retries)."""
    with transaction.atomic():
        inbound = InboundMessage.objects.select_for_update().filter(pk=inbound_id).first()
        if inbound is None or not inbound.auto_reply or not inbound.from_address:
            return None
        message = inbound.answer
        if message is None:
            message = message_create(
                to=inbound.from_address, channel=inbound.channel, content=inbound.auto_reply, owner=inbound.owner
            )
            InboundMessage.objects.filter(pk=inbound.pk).update(answer=message)
    if message.status != MessageStatus.PENDING or message.provider_message_id:
        return message
    try:
        return message_send(message=message)
    except ChannelError as exc:
        if exc.permanent:
            log.warning("inbound id=%s: answer not sent (code %s)", inbound_id, exc.code)
            return None
        raise
