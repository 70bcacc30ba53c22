"""Templates: find the live one, render it, seed the shipped defaults, record Meta's approval."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

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
from ..signals import meta_template_changed
from ..whatsapp_templates import SAMPLE_URL_SUFFIX, URL_BUTTON, TemplateDefinition, definition_for, expected_category

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedText:
    subject: str
    body: str
    template: MessageTemplate | None
    # What a WhatsApp channel sends instead of text: {"name", "language", "parameters", "content_sid"};
    # {"blocked": reason} when the Meta template exists but is not APPROVED (never sent then).
    provider_template: dict[str, Any] = field(default_factory=dict)


class TemplateLookup:
    """template_render's default: look the template up (a caller that already did passes what it found)."""


FIND = TemplateLookup()


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
    buttons = button_values(definition_for(source.whatsapp_template_name, source.whatsapp_language_code), values)
    if channel == TwilioWhatsAppChannel.key:
        if not source.twilio_content_sid:
            return {}
        return {"content_sid": source.twilio_content_sid, "parameters": parameters, "buttons": buttons}
    if not source.whatsapp_template_name:
        return {}
    approval = meta_template_approval(source)
    if approval != MetaApproval.APPROVED:
        return {"blocked": f"Meta template {source.whatsapp_template_name} is {approval}, not APPROVED"}
    provider: dict[str, Any] = {
        "name": source.whatsapp_template_name,
        "language": source.whatsapp_language_code,
        "parameters": parameters,
        "buttons": buttons,
    }
    if kind in WHATSAPP_AUTHENTICATION_KINDS:
        provider["authentication"] = True
    return provider


def button_values(definition: TemplateDefinition | None, values: Mapping[str, str]) -> list[str]:
    """What each button of a shipped template carries for this message, in the definition's order: a quick
    reply its payload (`button_<intent>` from the sender's context: an opaque signed reference; else the bare
    intent), the URL button its suffix (`ack_token`; else a sample)."""
    if definition is None:
        return []
    out = []
    for button in definition.buttons:
        if button.kind == URL_BUTTON:
            out.append(values.get("ack_token") or SAMPLE_URL_SUFFIX)
        else:
            out.append(values.get(f"button_{button.intent.lower()}") or button.intent)
    return out


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


def template_render(
    *,
    kind: str,
    language: str,
    channel: str,
    context: Mapping[str, object],
    template: MessageTemplate | TemplateLookup | None = FIND,
) -> RenderedText:
    """Fill in the best live template; fall back to the shipped text so an alarm is never held up.

    A variable the kind allows but the caller did not give renders as "-" (logged), never as an error.
    `template`: what template_find answered for the same kind, language and channel, when the caller asked.
    """
    if isinstance(template, TemplateLookup):
        template = template_find(kind=kind, language=language, channel=channel)
    if template is not None:
        subject_line, content = template.subject_line, template.content
    else:
        fallback = DEFAULTS.get((kind, language)) or DEFAULTS.get((kind, "en"))
        if fallback is None:
            raise ValidationError(gettext("No message text for %(kind)s.") % {"kind": kind})
        subject_line, content = fallback
        log.warning("no live template kind=%s language=%s; using the shipped default", kind, language)
    used = template_variables(subject_line + content)
    unknown = used - allowed_variables(kind) - context.keys()
    if unknown:
        raise ValidationError(
            gettext("Template uses unknown variables: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
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


# Meta's verdicts that take a template out of use (it is skipped, the next channel takes over, staff are told).
HELD_BACK = frozenset(
    {MetaApproval.PAUSED, MetaApproval.REJECTED, MetaApproval.DISABLED, MetaApproval.FLAGGED, MetaApproval.DELETED}
)


def _status_record_update(
    *, name: str, language_code: str, defaults: dict[str, Any]
) -> tuple[MetaTemplateStatus | None, MetaTemplateStatus]:
    """A template's record as it was and as `defaults` leave it, read and written in one transaction: what
    changed is what this update changed (a redelivered webhook announces nothing twice)."""
    with transaction.atomic():
        before = MetaTemplateStatus.objects.filter(name=name, language_code=language_code).first()
        record, _ = MetaTemplateStatus.objects.update_or_create(
            name=name, language_code=language_code, defaults=defaults
        )
    return before, record


def meta_template_status_update(
    *, name: str, language_code: str, status: str, reason: str = "", meta_template_id: str = ""
) -> MetaTemplateStatus:
    """Record Meta's verdict on a template (its `message_template_status_update` webhook). APPROVED puts it back
    in use (a recategorised one too); a paused, rejected or disabled one announces `meta_template_changed`."""
    if status not in MetaApproval.values:
        status = MetaApproval.UNKNOWN
    defaults: dict[str, Any] = {"status": status, "reason": (reason or "")[:255]}
    if meta_template_id:
        defaults["meta_template_id"] = meta_template_id
    if status == MetaApproval.APPROVED:
        defaults["recategorised"] = False
    before, record = _status_record_update(name=name, language_code=language_code, defaults=defaults)
    log.info("meta template status name=%s language=%s status=%s", name, language_code, status)
    if status in HELD_BACK and (before is None or before.status != status):
        _announce(record, change=status, detail=reason or "")
    return record


def meta_template_category_update(
    *, name: str, language_code: str, new_category: str, previous_category: str = ""
) -> MetaTemplateStatus:
    """Meta recategorised a template (`template_category_update`). Moved away from the category Keryu submitted
    it under (an alarm template is UTILITY), it is held back until Meta approves it again."""
    expected = expected_category(name, language_code) or previous_category
    new_category = (new_category or "")[:32]
    moved = bool(expected and new_category and new_category != expected)
    defaults: dict[str, Any] = {"category": new_category}
    if moved:
        defaults["recategorised"] = True
    before, record = _status_record_update(name=name, language_code=language_code, defaults=defaults)
    log.info("meta template category name=%s language=%s category=%s", name, language_code, new_category)
    if moved and (before is None or not before.recategorised):
        _announce(record, change="RECATEGORISED", detail=f"{previous_category or expected} -> {new_category}")
    return record


def meta_template_quality_update(*, name: str, language_code: str, quality: str) -> MetaTemplateStatus:
    """Meta's quality rating of a template (`message_template_quality_update`): shown to staff. A low rating
    comes before a pause, which arrives as its own status update."""
    with transaction.atomic():
        record, _ = MetaTemplateStatus.objects.update_or_create(
            name=name, language_code=language_code, defaults={"quality": (quality or "")[:16]}
        )
    log.info("meta template quality name=%s language=%s quality=%s", name, language_code, quality)
    return record


def _announce(record: MetaTemplateStatus, *, change: str, detail: str) -> None:
    meta_template_changed.send(
        sender=MetaTemplateStatus,
        name=record.name,
        language_code=record.language_code,
        change=change,
        detail=detail,
    )
