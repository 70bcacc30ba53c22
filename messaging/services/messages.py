"""Messages: record one (pending), hand it to its channel, record what happened."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..channels import ChannelError, ErrorAction, OutboundMessage, get_channel
from ..formatting import address_key
from ..models import FlaggedAddress, Message, MessageStatus, MessageTemplate
from ..signals import message_status_changed
from .templates import template_render

log = logging.getLogger(__name__)


def message_create(
    *,
    to: str,
    channel: str,
    content: str,
    subject_line: str = "",
    owner=None,
    template: MessageTemplate | None = None,
    recipient_name: str = "",
    kind: str = "",
    provider_template: dict | None = None,
) -> Message:
    return Message.objects.create(
        to=to,
        address_key=address_key(to),
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
    context: dict[str, object],
    owner=None,
    recipient_name: str = "",
) -> Message:
    """Render the right template for this kind, language and channel and record the message, pending.

    The one entry point other apps use to prepare a message. Context keys for alarm kinds: subject_name,
    situation, location, description, timestamp, maps_url, ack_url (verification codes: code, minutes).
    """
    rendered = template_render(kind=kind, language=language, channel=channel, context=context)
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
        retry_count=message.retry_count,
    )


def message_send(*, message: Message) -> Message:
    """Hand a pending message to its channel. Raises ChannelError when it did not go out.

    The network call happens outside any transaction; the provider id is stored in the same update that
    marks the message SENT. A status webhook that arrived first (it can) is never moved backwards.
    """
    blocked = (message.provider_template or {}).get("blocked")
    try:
        if blocked:
            # Never send a WhatsApp template Meta has not approved: the next channel takes over.
            raise ChannelError(blocked, permanent=True, code="template_not_approved", action=ErrorAction.SWITCH)
        result = get_channel(message.channel).send(_outbound(message))
    except ChannelError as exc:
        _record_failure(message=message, error=exc)
        raise
    now = timezone.now()
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            provider_message_id=result.provider_message_id, sent_at=now, updated_at=now
        )
        Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(status=MessageStatus.SENT)
    message.refresh_from_db()
    log.info("message sent id=%s channel=%s provider_id=%s", message.pk, message.channel, result.provider_message_id)
    message_status_changed.send(sender=Message, message=message, status=message.status)
    return message


def _record_failure(*, message: Message, error: ChannelError) -> None:
    fields: dict[str, object] = {
        "error_message": str(error)[:2000],
        "error_code": (error.code or "")[:32],
        "error_action": error.action,
        "updated_at": timezone.now(),
    }
    if not error.permanent:
        fields["retry_count"] = F("retry_count") + 1
    Message.objects.filter(pk=message.pk).update(**fields)
    if error.permanent:
        Message.objects.filter(pk=message.pk, status=MessageStatus.PENDING).update(status=MessageStatus.FAILED)
    if error.flag_address:
        FlaggedAddress.objects.update_or_create(
            channel=message.channel,
            address_key=message.address_key,
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
    if error.permanent:
        message_status_changed.send(sender=Message, message=message, status=message.status)
