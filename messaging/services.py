"""Writes for messaging: render a template, record a message, send it through its channel."""

from __future__ import annotations

import logging
import string
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .channels import ChannelError, OutboundMessage, get_channel
from .defaults import DEFAULTS
from .models import Message, MessageStatus, MessageTemplate
from .signals import message_status_changed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str
    template: MessageTemplate | None


def template_variables(content: str) -> set[str]:
    """The `{names}` a template's content uses."""
    return {name for _, name, _, _ in string.Formatter().parse(content) if name}


def template_find(*, kind: str, language: str, channel: str) -> MessageTemplate | None:
    """The active template for this kind, preferring the language, then a channel-specific one."""
    candidates = list(MessageTemplate.objects.filter(kind=kind, is_active=True, channel__in=[channel, ""]))

    def rank(t: MessageTemplate) -> tuple[int, int]:
        return (0 if t.language == language else 1, 0 if t.channel == channel else 1)

    return min(candidates, key=rank, default=None)


def template_render(*, kind: str, language: str, channel: str, context: dict[str, object]) -> RenderedText:
    """Fill in the best active template; fall back to the shipped text so an alarm is never held up."""
    template = template_find(kind=kind, language=language, channel=channel)
    if template is not None:
        subject_line, content = template.subject_line, template.content
    else:
        fallback = DEFAULTS.get((kind, language)) or DEFAULTS.get((kind, "en"))
        if fallback is None:
            raise ValidationError(f"No message text for {kind}.")
        subject_line, content = fallback
        log.warning("no active template kind=%s language=%s; using the shipped default", kind, language)
    missing = template_variables(subject_line + content) - context.keys()
    if missing:
        raise ValidationError(f"Template uses unknown variables: {', '.join(sorted(missing))}.")
    values = {k: str(v) for k, v in context.items()}
    return RenderedText(subject=subject_line.format_map(values), body=content.format_map(values), template=template)


def message_create(
    *,
    to: str,
    channel: str,
    content: str,
    subject_line: str = "",
    owner=None,
    template: MessageTemplate | None = None,
    recipient_name: str = "",
) -> Message:
    return Message.objects.create(
        to=to,
        channel=channel,
        content=content,
        subject_line=subject_line,
        owner=owner,
        template=template,
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
    situation, location, description, timestamp, maps_url, ack_url.
    """
    rendered = template_render(kind=kind, language=language, channel=channel, context=context)
    return message_create(
        to=to,
        channel=channel,
        content=rendered.body,
        subject_line=rendered.subject,
        owner=owner,
        template=rendered.template,
        recipient_name=recipient_name,
    )


def message_send(*, message: Message) -> Message:
    """Hand a pending message to its channel. Raises ChannelError when it did not go out.

    The network call happens outside any transaction; the provider id is stored in the same update that
    marks the message SENT.
    """
    channel = get_channel(message.channel)
    outbound = OutboundMessage(message_id=message.pk, to=message.to, body=message.content, subject=message.subject_line)
    try:
        result = channel.send(outbound)
    except ChannelError as exc:
        _record_failure(message=message, error=exc)
        raise
    with transaction.atomic():
        Message.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENT,
            provider_message_id=result.provider_message_id,
            sent_at=timezone.now(),
            updated_at=timezone.now(),
        )
    message.refresh_from_db()
    log.info("message sent id=%s channel=%s provider_id=%s", message.pk, message.channel, result.provider_message_id)
    message_status_changed.send(sender=Message, message=message, status=message.status)
    return message


def _record_failure(*, message: Message, error: ChannelError) -> None:
    fields: dict[str, object] = {"error_message": str(error)[:2000], "updated_at": timezone.now()}
    if error.permanent:
        fields["status"] = MessageStatus.FAILED
    Message.objects.filter(pk=message.pk).update(**fields)
    message.refresh_from_db()
    log.warning(
        "message not sent id=%s channel=%s code=%s permanent=%s",
        message.pk,
        message.channel,
        error.code,
        error.permanent,
    )
    if error.permanent:
        message_status_changed.send(sender=Message, message=message, status=message.status)


def template_defaults_ensure() -> int:
    """Create any missing shipped template (never touching one an editor changed). Returns how many."""
    created = 0
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        _, was_created = MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={
                "name": f"{kind.title().replace('_', ' ')} ({language})",
                "subject_line": subject_line,
                "content": content,
                "variables": sorted(template_variables(subject_line + content)),
            },
        )
        created += was_created
    return created
