"""Retention and purges: the slow periodic work (the reachability drill is alerts.services.drills)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from messaging.models import Message
from messaging.services import (
    messages_addresses_purge,
    messages_redact,
    text_redact,
)
from registry.services import archived_personal_data_purge

from ..models import (
    Alarm,
    FinderReport,
    InactiveCodeScan,
    NotificationAttempt,
    NotificationStatus,
    RelayMessage,
    ScanEvent,
    SituationType,
)
from .alarms import RETRYABLE, alarm_retry_failed
from .delivery import maps_url

log = logging.getLogger(__name__)


def alarms_retry_failed() -> int:
    """Recent open alarms with a recipient nobody reached (every attempt failed) get one of that recipient's
    failed channels re-queued per run, a bounded number of runs per alarm: run n tries the recipient's n-th
    channel (in the order they were tried), so one broken channel does not use up every retry.

    Per recipient, not only whole failed alarms: when every provider is down for a minute, a contact or a
    doctor without email exhausts all channels while the custodian is reached by email, and was then never
    tried again (found by the fault drill, `bin/drill`). Recipients reached, or still scheduled, are left alone.
    """
    since = timezone.now() - timedelta(hours=settings.KERYU_RETRY_FAILED_WINDOW_HOURS)
    candidates = Alarm.objects.filter(
        resolved_at__isnull=True,
        acknowledged_at__isnull=True,
        timestamp__gte=since,
        auto_retries__lt=settings.KERYU_RETRY_FAILED_MAX,
    )
    attempts = NotificationAttempt.objects.filter(alarm__in=candidates)
    failed: dict[tuple[int, str], list[int]] = {}
    for pk, alarm_id, key in (
        attempts.filter(status__in=RETRYABLE)
        .order_by("created_at", "pk")
        .values_list("pk", "alarm_id", "recipient_key")
    ):
        failed.setdefault((alarm_id, key), []).append(pk)
    settled = set(
        attempts.filter(alarm_id__in={a for a, _ in failed})
        .exclude(status__in=RETRYABLE)
        .values_list("alarm_id", "recipient_key")
    )
    unreached: dict[int, list[list[int]]] = {}
    for (alarm_id, key), pks in failed.items():
        if (alarm_id, key) not in settled:
            unreached.setdefault(alarm_id, []).append(pks)
    total = 0
    for alarm in Alarm.objects.filter(pk__in=sorted(unreached)[:200]):
        run = alarm.auto_retries
        if Alarm.objects.filter(pk=alarm.pk, auto_retries=run).update(auto_retries=run + 1):
            picked = [pks[run % len(pks)] for pks in unreached[alarm.pk]]
            total += alarm_retry_failed(alarm=alarm, attempt_ids=picked)
    return total


def records_cleanup() -> dict[str, int]:
    """Delete the delivery records of alarms resolved longer ago than the retention, and old stray messages.

    An alarm's attempts and messages are its history: they go only once the alarm has been resolved for
    KERYU_ATTEMPT_RETENTION_DAYS, never while it is open however old it is (the alarm row itself stays).
    Messages keep their age rule (KERYU_MESSAGE_RETENTION_DAYS) but never go while an attempt still refers to
    them; those tied to no alarm (verification codes, drills, notices) go by age alone.
    """
    now = timezone.now()
    resolved_before = now - timedelta(days=settings.KERYU_ATTEMPT_RETENTION_DAYS)
    messages_before = now - timedelta(days=settings.KERYU_MESSAGE_RETENTION_DAYS)
    with transaction.atomic():
        expired = NotificationAttempt.objects.filter(
            alarm__resolved_at__isnull=False, alarm__resolved_at__lt=resolved_before
        ).exclude(status__in=[NotificationStatus.PENDING, NotificationStatus.PROCESSING])
        attempts, _ = expired.delete()
        # A message an attempt still refers to belongs to an alarm that is open or not yet past retention.
        referenced = NotificationAttempt.objects.filter(message_id=OuterRef("pk"))
        messages, _ = Message.objects.filter(created_at__lt=messages_before).exclude(Exists(referenced)).delete()
    log.info("cleanup attempts=%s messages=%s", attempts, messages)
    return {"attempts": attempts, "messages": messages}


# The finder fields of an alarm and a further report (FinderReport) that the purge blanks, each to its empty value.
SCANNER_FIELDS: dict[str, object] = {
    name: None if FinderReport._meta.get_field(name).null else "" for name in FinderReport.SCANNER_DATA
}


def _purge(queryset: QuerySet[Any], fields: Mapping[str, object]) -> int:
    """Blank these fields on every row that still holds one of them."""
    empty = {
        (f"{name}__isnull" if value is None else name): (True if value is None else value)
        for name, value in fields.items()
    }
    return queryset.exclude(**empty).update(**fields)


# Rows that still hold something the purge must take: what a finder said about themselves and where they were.
HOLDS_FINDER_DATA = ~Q(finder_name="") | ~Q(finder_phone="") | Q(latitude__isnull=False) | Q(longitude__isnull=False)
ALARM_MESSAGE_KINDS = [*SituationType.values, "UPDATE"]


def removed_marker() -> str:
    return f"[removed after {settings.KERYU_SCANNER_DATA_RETENTION_DAYS} days]"


def _quoted(report: Alarm | ScanEvent) -> set[str]:
    """Every form in which the delivery texts quote this report's finder and position (delivery.message_context)."""
    values = {report.finder_name, report.finder_phone}
    if report.latitude is not None and report.longitude is not None:
        values |= {maps_url(report), f"{report.latitude},{report.longitude}"}
    values |= {str(c) for c in (report.latitude, report.longitude) if c is not None}
    return {v for v in values if v}


def _quotes_redact(*, before: datetime) -> int:
    """Redact the finder's details and position from every text that quoted them, before they are blanked.

    The messages of an alarm are those its attempts point at and, in case a crash came between writing a
    message and linking it, every alarm message of the same family (their owner). Provider errors on the
    attempts and the alarm are redacted too.
    """
    quoted: dict[int, set[str]] = {}
    for alarm in Alarm.objects.filter(HOLDS_FINDER_DATA, timestamp__lt=before):
        quoted.setdefault(alarm.pk, set()).update(_quoted(alarm))
    for event in ScanEvent.objects.filter(HOLDS_FINDER_DATA, timestamp__lt=before):
        quoted.setdefault(event.alarm_id, set()).update(_quoted(event))
    marker, changed = removed_marker(), 0
    alarms = Alarm.objects.filter(pk__in=quoted).select_related("subject__custodian")
    for alarm in alarms:
        values = quoted[alarm.pk]
        linked = NotificationAttempt.objects.filter(alarm=alarm, message__isnull=False).values("message_id")
        messages = Message.objects.filter(
            Q(pk__in=linked)
            | Q(
                owner_id__in=alarm.subject.custodianships.values("custodian__user_id"),
                kind__in=ALARM_MESSAGE_KINDS,
            )
        )
        changed += messages_redact(messages=messages, values=values, replacement=marker)
        for attempt in NotificationAttempt.objects.filter(alarm=alarm).exclude(error="").only("pk", "error"):
            error = text_redact(attempt.error, values=values, replacement=marker)
            if error != attempt.error:
                changed += NotificationAttempt.objects.filter(pk=attempt.pk).update(error=error)
        error = text_redact(alarm.notification_error, values=values, replacement=marker)
        if error != alarm.notification_error:
            Alarm.objects.filter(pk=alarm.pk).update(notification_error=error)
    return changed


def relays_purge(*, before: datetime) -> int:
    """What finder and family wrote to each other (alerts.services.relay) is finder data: older than `before`,
    each message's text and shared number are blanked, and so is the text that carried them (the message log's
    copy is wholly the relayed message: replaced by the marker). The row stays, so the timeline still says a
    message went and how. Returns rows blanked."""
    rows = RelayMessage.objects.filter(created_at__lt=before).exclude(text="", shared_contact="")
    ids = list(rows.values_list("pk", flat=True)[:5000])
    sent = RelayMessage.objects.filter(pk__in=ids, message__isnull=False).values("message_id")
    Message.objects.filter(pk__in=sent).update(content=removed_marker())
    return RelayMessage.objects.filter(pk__in=ids).update(text="", shared_contact="")


def scanner_data_purge() -> int:
    """Scanner IP, user agent, GPS and the finder's own details are kept only for the retention period the
    scan page states (KERYU_SCANNER_DATA_RETENTION_DAYS), and so is every copy: the texts that quoted them
    are redacted in the same transaction that blanks the originals (once blank, nothing says what to look
    for). The message log's addresses go on the same schedule: the recipients' phones and emails are
    needed to send and to match receipts and replies, which happens within days, never 90 days later.
    """
    before = timezone.now() - timedelta(days=settings.KERYU_SCANNER_DATA_RETENTION_DAYS)
    with transaction.atomic():
        redacted = _quotes_redact(before=before)
        purged = _purge(Alarm.objects.filter(timestamp__lt=before), SCANNER_FIELDS)
        events = _purge(ScanEvent.objects.filter(timestamp__lt=before), SCANNER_FIELDS)
        inactive = _purge(
            InactiveCodeScan.objects.filter(timestamp__lt=before), {"scanner_ip": None, "scanner_user_agent": ""}
        )
        relays = relays_purge(before=before)
    addresses = messages_addresses_purge(before=before)
    log.info(
        "scanner data purged alarms=%s reports=%s inactive_scans=%s relayed=%s texts_redacted=%s messages=%s "
        "replies=%s",
        purged,
        events,
        inactive,
        relays,
        redacted,
        addresses["messages"],
        addresses["replies"],
    )
    return purged + events + inactive + relays


def archived_records_purge() -> int:
    """Personal data of subjects and custodians archived past KERYU_ARCHIVE_RETENTION_DAYS (alarms stay)."""
    before = timezone.now() - timedelta(days=settings.KERYU_ARCHIVE_RETENTION_DAYS)
    purged = archived_personal_data_purge(archived_before=before)
    log.info("archived personal data purged rows=%s", purged)
    return purged
