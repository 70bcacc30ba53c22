"""Messages: record one (pending), hand it to its channel, record what happened."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import InterfaceError, OperationalError, connection
from django.db.models import F
from django.utils import timezone

from ..channels import CHANNEL_FAMILIES, ChannelError, ErrorAction, Family, OutboundMessage, get_channel
from ..formatting import address_hash
from ..models import FlaggedAddress, Message, MessageStatus, MessageTemplate
from ..selectors import window_is_open
from ..signals import message_status_changed
from .limits import conversation_admit, send_slot_wait
from .templates import FIND, TemplateLookup, template_render

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)


def message_create(
    *,
    to: str,
    channel: str,
    content: str,
    subject_line: str = "",
    owner: User | None = None,
    template: MessageTemplate | None = None,
    recipient_name: str = "",
    kind: str = "",
    provider_template: dict[str, Any] | None = None,
) -> Message:
    return Message.objects.create(
        to=to,
        address_hash=address_hash(to),
        channel=channel,
        kind=kind,
        content=content,
        subject_line=subject_line,
        owner=owner,
        template=template,
        template_revision=template.live_revision if template is not None else None,
        provider_template=provider_template or {},
        recipient_name=recipient_name,
    )


def message_compose(
    *,
    kind: str,
    language: str,
    channel: str,
    to: str,
    context: Mapping[str, object],
    owner: User | None = None,
    recipient_name: str = "",
    template: MessageTemplate | TemplateLookup | None = FIND,
) -> Message:
    """Render the right template for this kind, language and channel and record the message, pending.

    The one entry point other apps use to prepare a message. Context keys for alarm kinds: subject_name,
    situation, location, description, timestamp, maps_url, ack_url (verification codes: code, minutes).
    `template`: what template_find answered for this kind, language and channel, when the caller looked.
    """
    rendered = template_render(kind=kind, language=language, channel=channel, context=context, template=template)
    return message_create(
        to=to,
        channel=channel,
        kind=kind,
        content=rendered.body,
        subject_line=rendered.subject,
        owner=owner,
        template=rendered.template,
        provider_template=rendered.provider_template,
        recipient_name=recipient_name,
    )


def _outbound(message: Message) -> OutboundMessage:
    template = message.provider_template or {}
    return OutboundMessage(
        message_id=message.pk,
        to=message.to,
        body=message.content,
        subject=message.subject_line,
        whatsapp_template=template.get("name", ""),
        whatsapp_language=template.get("language", ""),
        whatsapp_parameters=tuple(template.get("parameters", ())),
        twilio_content_sid=template.get("content_sid", ""),
        whatsapp_buttons=tuple(template.get("buttons", ())),
        retry_count=message.retry_count,
        whatsapp_authentication=bool(template.get("authentication")),
        # Only when the template row is already loaded: the send path makes no query for it.
        language=message.template.language if Message.template.is_cached(message) and message.template else "",
    )


OUTSIDE_WINDOW = "outside_window"
TEMPLATE_NOT_APPROVED = "template_not_approved"


def _window_refusal(message: Message) -> ChannelError | None:
    """WhatsApp's rule, checked before anything leaves: free-form text only inside the 24-hour window (the
    address wrote to us on this channel within 24 h); outside it only an approved template. A message that would
    break it is refused here (SWITCH: the recipient's next channel takes over) instead of being accepted by the
    provider and failing later (Meta 131047, Twilio 63016)."""
    template = message.provider_template or {}
    if message.channel not in CHANNEL_FAMILIES[Family.WHATSAPP] or template.get("name") or template.get("content_sid"):
        return None
    if window_is_open(address_hash=message.address_hash, channel=message.channel):
        return None  # free-form text goes (a template Meta holds back is replaced by the text)
    if template.get("blocked"):
        return ChannelError(
            f"{template['blocked']}; outside the 24-hour window",
            permanent=True,
            code=TEMPLATE_NOT_APPROVED,
            action=ErrorAction.SWITCH,
        )
    return ChannelError(
        "outside WhatsApp's 24-hour window and no approved template for this message",
        permanent=True,
        code=OUTSIDE_WINDOW,
        action=ErrorAction.SWITCH,
    )


def message_send(*, message: Message) -> Message:
    """Hand a pending message to its channel. Raises ChannelError when it did not go out, or may not have
    (`error.uncertain`: the provider may have it; the message stays PENDING for its receipt).

    The network call happens outside any transaction; the provider id is stored in the same update that
    marks the message SENT. A status webhook that arrived first (it can) is never moved backwards.
    """
    try:
        refusal = _window_refusal(message)
        if refusal is not None:
            # Never send a WhatsApp template Meta has not approved, nor text outside the window: next channel.
            raise refusal
        # The providers' limits (limits.py): a new WhatsApp conversation beyond the tier goes elsewhere; every
        # send waits for its sender's token rather than being refused by the provider.
        conversation_admit(channel=message.channel, address_hash=message.address_hash)
        send_slot_wait(channel=message.channel)
        result = get_channel(message.channel).send(_outbound(message))
    except ChannelError as exc:
        _record_failure(message=message, error=exc)
        raise
    _write_surviving_a_dropped_connection(
        lambda: _record_sent(message=message, provider_message_id=result.provider_message_id)
    )
    log.info("message sent id=%s channel=%s provider_id=%s", message.pk, message.channel, result.provider_message_id)
    message_status_changed.send(sender=Message, message=message, status=message.status)
    return message


# The provider's id and the send time, and SENT unless a receipt got there first, in one statement that reads
# back what a webhook may have changed meanwhile (_RECORDED, in order), so the message needs no refresh.
_RECORDED: tuple[str, ...] = ("status", "provider_message_id", "sent_at", "delivered_at", "read_at", "updated_at")
_RECORDED += ("error_message", "error_code", "error_action", "retry_count")
_SENT_SQL = """
UPDATE messaging_message
SET provider_message_id = %(provider_id)s, sent_at = %(now)s, updated_at = %(now)s,
    status = CASE WHEN status = %(pending)s THEN %(sent)s ELSE status END
WHERE id = %(id)s
RETURNING status, provider_message_id, sent_at, delivered_at, read_at, updated_at, error_message,
    error_code, error_action, retry_count
"""


def _record_sent(*, message: Message, provider_message_id: str) -> None:
    now = timezone.now()
    params: dict[str, str | int | datetime] = {
        "provider_id": provider_message_id,
        "now": now,
        "pending": MessageStatus.PENDING,
        "sent": MessageStatus.SENT,
        "id": message.pk,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SENT_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return  # the row is gone (purged): nothing to record
    for name, value in zip(_RECORDED, row, strict=True):
        field = Message._meta.get_field(name)
        from_db = getattr(field, "from_db_value", None)  # the encrypted error text decrypts
        setattr(message, name, from_db(value, None, connection) if from_db else value)


def _write_surviving_a_dropped_connection(write: Callable[[], None], *, tries: int = 4) -> None:
    """Run `write`, reconnecting when the database connection was lost (a failover, a killed backend).

    Only for what the provider just told us: its answer exists nowhere else, and losing it turns a message
    it accepted into an unknown. Anything else is re-derived from the rows by the caller's retry. Never inside
    an outer transaction, whose work a reconnect would silently drop.
    """
    for attempt in range(tries):
        try:
            write()
            return
        except (OperationalError, InterfaceError):
            if attempt == tries - 1 or connection.in_atomic_block:
                raise
            log.warning("database connection lost recording a send; reconnecting (try %s)", attempt + 2)
            connection.close()
            time.sleep(0.5 * (attempt + 1))


def _record_failure(*, message: Message, error: ChannelError) -> None:
    fields: dict[str, object] = {
        "error_message": str(error)[:2000],
        "error_code": (error.code or "")[:32],
        "error_action": error.action,
        "updated_at": timezone.now(),
    }
    # Uncertain: the provider may have it. The message stays PENDING so its receipt (matched by our id, which
    # rode along with the send) can still move it to SENT, DELIVERED or FAILED.
    failed = error.permanent and not error.uncertain
    if not error.permanent:
        fields["retry_count"] = F("retry_count") + 1
    Message.objects.filter(pk=message.pk).update(**fields)
    if failed:
        Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(status=MessageStatus.FAILED)
    if error.flag_address:
        FlaggedAddress.objects.update_or_create(
            channel=message.channel,
            address_hash=message.address_hash,
            defaults={"code": error.code or "", "message": message},
        )
    message.refresh_from_db()
    log.warning(
        "message not sent id=%s channel=%s code=%s action=%s",
        message.pk,
        message.channel,
        error.code,
        error.action,
    )
    if failed:
        message_status_changed.send(sender=Message, message=message, status=message.status)
