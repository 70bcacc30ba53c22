"""Telling a custodian that the monthly drill could not reach someone (alerts.services.drills): one message
listing this round's flags (kind DRILL_FLAGGED, an editor-kept template), never on a channel that just failed
them. The dashboard panel (alerts.dashboard) shows the same flags until they clear."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext, gettext_lazy

from messaging.channels import Family, channel_family
from registry.models import Custodian

from ..models import ReachabilityCheck, RecipientKind
from .recipients import custodian_message_send

log = logging.getLogger(__name__)

# How long a flag the custodian could not be told about is tried again (each hourly run).
NOTICE_TRIES_FOR = timedelta(days=7)
FAMILY_LABELS: dict[str, str | Promise] = {
    Family.WHATSAPP: "WhatsApp",
    Family.SMS: "SMS",
    Family.EMAIL: gettext_lazy("email"),
    Family.DEVELOPMENT: gettext_lazy("test channel"),
}


def _untold() -> QuerySet[ReachabilityCheck]:
    return ReachabilityCheck.objects.filter(
        flagged=True, custodian_told_at__isnull=True, created_at__gte=timezone.now() - NOTICE_TRIES_FOR
    )


def reachability_notices_send() -> int:
    """Each custodian with flags nobody told them about gets one message listing them. Claimed first, so a
    flag is told once; released when no channel took the message, so the next run tries again."""
    told = 0
    for custodian_id in sorted(set(_untold().values_list("custodian_id", flat=True))):
        now = timezone.now()
        with transaction.atomic():
            checks = list(_untold().filter(custodian_id=custodian_id).select_for_update(skip_locked=True))
            ReachabilityCheck.objects.filter(pk__in=[c.pk for c in checks]).update(custodian_told_at=now)
        if not checks:
            continue
        custodian = Custodian.objects.select_related("user").get(pk=custodian_id)
        if _notice_send(custodian=custodian, checks=checks):
            told += 1
        else:
            ReachabilityCheck.objects.filter(pk__in=[c.pk for c in checks]).update(custodian_told_at=None)
    return told


def notice_recipients_text(*, checks: list[ReachabilityCheck], language: str) -> str:
    """ "Abuela Rosa (SMS), you (WhatsApp)" in the custodian's language."""
    with translation.override(language):
        names = [
            "{} ({})".format(
                gettext("you") if c.recipient_kind == RecipientKind.CUSTODIAN else c.recipient_name,
                FAMILY_LABELS.get(channel_family(c.channel), c.channel or gettext("no phone or email")),
            )
            for c in checks
        ]
        return get_text_list(list(dict.fromkeys(names)), gettext("and"))


def _notice_send(*, custodian: Custodian, checks: list[ReachabilityCheck]) -> bool:
    context = {
        "recipients": notice_recipients_text(checks=checks, language=custodian.language),
        "checks_url": settings.KERYU_PUBLIC_BASE_URL + reverse("wagtailsnippets_alerts_reachabilitycheck:list"),
    }
    reached = custodian_message_send(
        custodian=custodian,
        kind="DRILL_FLAGGED",
        context=context,
        # Not on a channel this very drill found cannot reach them.
        tried={c.channel for c in checks if c.recipient_kind == RecipientKind.CUSTODIAN and c.channel},
        label=f"reachability notice custodian id={custodian.pk} flags={len(checks)}",
    )
    return reached.message is not None
