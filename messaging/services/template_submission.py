"""Submitting the shipped WhatsApp template definitions (messaging.whatsapp_templates) for approval.

Meta: `POST {WHATSAPP_GRAPH_API_BASE_URL}/{version}/{WHATSAPP_BUSINESS_ACCOUNT_ID}/message_templates`, one request
per definition; the verdict arrives later by webhook (`message_template_status_update`). Twilio's Content API
definitions are printed for staff to create (the Content SID then goes on the template, `twilio_content_sid`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.db import transaction

from ..models import MetaApproval, MetaTemplateStatus
from ..whatsapp_templates import DEFINITIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitOutcome:
    name: str
    language: str
    ok: bool
    detail: str


def template_definitions(*, provider: str = "meta") -> list[dict[str, Any]]:
    """Every shipped definition in the provider's format ("meta" or "twilio")."""
    base = settings.KERYU_PUBLIC_BASE_URL
    if provider == "twilio":
        return [d.twilio_definition(base_url=base) for d in DEFINITIONS]
    return [d.meta_definition(base_url=base) for d in DEFINITIONS]


def submit_url() -> str:
    base = (settings.WHATSAPP_GRAPH_API_BASE_URL or settings.WHATSAPP_API_BASE_URL).rstrip("/")
    return f"{base}/{settings.WHATSAPP_API_VERSION}/{settings.WHATSAPP_BUSINESS_ACCOUNT_ID}/message_templates"


def templates_submit() -> list[SubmitOutcome]:
    """Submit each shipped definition to Meta. A definition Meta takes is recorded PENDING (unless Meta already
    gave a verdict on it) with its category; a refusal is reported, never raised."""
    if not (settings.WHATSAPP_BUSINESS_ACCOUNT_ID and settings.WHATSAPP_ACCESS_TOKEN):
        return [SubmitOutcome("", "", False, "WHATSAPP_BUSINESS_ACCOUNT_ID and WHATSAPP_ACCESS_TOKEN must be set")]
    outcomes = []
    for definition, body in zip(DEFINITIONS, template_definitions(), strict=True):
        try:
            response = requests.post(
                submit_url(),
                json=body,
                headers={"Authorization": f"Bearer {settings.WHATSAPP_ACCESS_TOKEN}"},
                timeout=(settings.MESSAGING_CONNECT_TIMEOUT, max(settings.MESSAGING_READ_TIMEOUT, 5.0)),
            )
            answer = response.json() if response.content else {}
        except (requests.RequestException, ValueError) as exc:
            outcomes.append(SubmitOutcome(definition.name, definition.language, False, type(exc).__name__))
            continue
        if response.status_code >= 400 or "error" in answer:
            error = answer.get("error") or {}
            detail = f"Meta error {error.get('code', response.status_code)}: {error.get('message', '')}"[:300]
            outcomes.append(SubmitOutcome(definition.name, definition.language, False, detail))
            continue
        with transaction.atomic():
            record, created = MetaTemplateStatus.objects.get_or_create(
                name=definition.name,
                language_code=definition.language,
                defaults={"status": MetaApproval.PENDING, "category": definition.category},
            )
            if not created and record.status == MetaApproval.UNKNOWN:
                MetaTemplateStatus.objects.filter(pk=record.pk).update(
                    status=MetaApproval.PENDING, category=definition.category
                )
            if answer.get("id"):
                MetaTemplateStatus.objects.filter(pk=record.pk).update(meta_template_id=str(answer["id"])[:64])
        outcomes.append(SubmitOutcome(definition.name, definition.language, True, str(answer.get("status", ""))))
    log.info("templates submitted ok=%s failed=%s", sum(o.ok for o in outcomes), sum(not o.ok for o in outcomes))
    return outcomes
