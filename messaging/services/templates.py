"""Templates: find the live one, render it, seed the shipped defaults, record Meta's approval."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..channels import CHANNEL_FAMILIES, Family, channel_family
from ..channels.twilio import TwilioWhatsAppChannel
from ..defaults import (
    DEFAULTS,
    WHATSAPP_AUTHENTICATION_KINDS,
    WHATSAPP_LANGUAGE_CODES,
    WHATSAPP_TEMPLATES,
    allowed_variables,
)
from ..formatting import template_parameter, text_normalise, text_normalise_lines
from ..models import MessageTemplate, MetaApproval, MetaTemplateStatus, template_variables
from ..selectors import meta_template_approval

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str
    template: MessageTemplate | None
    # What a WhatsApp channel sends instead of text: {"name", "language", "parameters", "content_sid"};
    # {"blocked": reason} when the Meta template exists but is not APPROVED (never sent then).
    provider_template: dict[str, Any] = field(default_factory=dict)


def template_find(*, kind: str, language: str, channel: str) -> MessageTemplate | None:
    """The live, active template for this kind, preferring the language, then a channel-specific one.

    Only published versions count: with Wagtail's draft state the row holds the live content, drafts live
    in revisions, and `live=False` means never published.
    """
    candidates = list(MessageTemplate.objects.filter(kind=kind, is_active=True, live=True, channel__in=[channel, ""]))

    def rank(t: MessageTemplate) -> tuple[int, int]:
        return (0 if t.language == language else 1, 0 if t.channel == channel else 1)

    return min(candidates, key=rank, default=None)


def _provider_template(
    *, channel: str, template: MessageTemplate | None, kind: str, language: str, values: dict[str, str]
) -> dict[str, Any]:
    if channel not in CHANNEL_FAMILIES[Family.WHATSAPP]:
        return {}
    if template is not None and kind not in WHATSAPP_AUTHENTICATION_KINDS:
        source = template
    elif kind in WHATSAPP_TEMPLATES:
        source = MessageTemplate(kind=kind, language=language, **_whatsapp_defaults(kind, language))
    else:
        return {}
    parameters = [template_parameter(values.get(name, "-")) for name in source.parameter_names]
    if channel == TwilioWhatsAppChannel.key:
        if not source.twilio_content_sid:
            return {}
        return {"content_sid": source.twilio_content_sid, "parameters": parameters}
    if not source.whatsapp_template_name:
        return {}
    approval = meta_template_approval(source)
    if approval != MetaApproval.APPROVED:
        return {"blocked": f"Meta template {source.whatsapp_template_name} is {approval}, not APPROVED"}
    provider: dict[str, Any] = {
        "name": source.whatsapp_template_name,
        "language": source.whatsapp_language_code,
        "parameters": parameters,
    }
    if kind in WHATSAPP_AUTHENTICATION_KINDS:
        provider["authentication"] = True
    return provider


def _whatsapp_defaults(kind: str, language: str) -> dict[str, str]:
    """The shipped WhatsApp template fields of a kind (defaults.WHATSAPP_TEMPLATES); empty for the others."""
    if kind not in WHATSAPP_TEMPLATES:
        return {}
    name, parameters = WHATSAPP_TEMPLATES[kind]
    return {
        "whatsapp_template_name": name,
        "whatsapp_language_code": WHATSAPP_LANGUAGE_CODES.get(language, language),
        "whatsapp_parameters": ",".join(parameters),
    }


def template_render(*, kind: str, language: str, channel: str, context: Mapping[str, object]) -> RenderedText:
    """Fill in the best live template; fall back to the shipped text so an alarm is never held up.

    A variable the kind allows but the caller did not give renders as "-" (logged), never as an error.
    """
    template = template_find(kind=kind, language=language, channel=channel)
    if template is not None:
        subject_line, content = template.subject_line, template.content
    else:
        fallback = DEFAULTS.get((kind, language)) or DEFAULTS.get((kind, "en"))
        if fallback is None:
            raise ValidationError(f"No message text for {kind}.")
        subject_line, content = fallback
        log.warning("no live template kind=%s language=%s; using the shipped default", kind, language)
    used = template_variables(subject_line + content)
    unknown = used - allowed_variables(kind) - context.keys()
    if unknown:
        raise ValidationError(f"Template uses unknown variables: {', '.join(sorted(unknown))}.")
    missing = used - context.keys()
    if missing:
        log.warning("template kind=%s rendered without %s", kind, ",".join(sorted(missing)))
    values = {name: "-" for name in allowed_variables(kind)} | {k: str(v) for k, v in context.items()}
    body = content.format_map(values)
    body = text_normalise_lines(body) if channel_family(channel) == Family.EMAIL else text_normalise(body)
    return RenderedText(
        subject=text_normalise(subject_line.format_map(values)),
        body=body,
        template=template,
        provider_template=_provider_template(
            channel=channel, template=template, kind=kind, language=language, values=values
        ),
    )


def template_defaults_ensure() -> int:
    """Create any missing shipped template, live (never touching one an editor changed). Returns how many."""
    created = 0
    for (kind, language), (subject_line, content) in DEFAULTS.items():
        whatsapp = _whatsapp_defaults(kind, language)
        _, was_created = MessageTemplate.objects.get_or_create(
            kind=kind,
            language=language,
            channel="",
            defaults={
                "name": f"{kind.title().replace('_', ' ')} ({language})",
                "subject_line": subject_line,
                "content": content,
                "variables": sorted(template_variables(subject_line + content)),
                "live": True,
                **whatsapp,
            },
        )
        created += was_created
    return created


def meta_template_status_update(
    *, name: str, language_code: str, status: str, reason: str = "", meta_template_id: str = ""
) -> MetaTemplateStatus:
    """Record Meta's verdict on a template (its `message_template_status_update` webhook)."""
    if status not in MetaApproval.values:
        status = MetaApproval.UNKNOWN
    with transaction.atomic():
        record, _ = MetaTemplateStatus.objects.update_or_create(
            name=name,
            language_code=language_code,
            defaults={"status": status, "reason": (reason or "")[:255], "meta_template_id": meta_template_id or ""},
        )
    log.info("meta template status name=%s language=%s status=%s", name, language_code, status)
    return record
