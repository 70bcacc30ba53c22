"""Writes for alerts: raise an alarm with its outbox rows, deliver one attempt."""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from messaging.channels import ChannelError
from messaging.selectors import channel_order
from messaging.services import message_compose, message_send
from registry.models import Custodian, QRCode
from registry.services import qr_code_mark_used

from .models import Alarm, NotificationAttempt, NotificationStatus, SituationType

log = logging.getLogger(__name__)

MAX_RETRIES = 3


def alarm_create(
    *,
    qr_code: QRCode,
    situation_type: str,
    description: str = "",
    location: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    scanner_ip: str | None = None,
    scanner_user_agent: str = "",
    is_phototaker: bool = False,
) -> Alarm:
    """Store the alarm and one attempt per recipient in one transaction; queue delivery once it commits."""
    if situation_type not in SituationType.values:
        raise ValidationError({"situation_type": "Choose what is happening."})
    custodian = qr_code.subject.custodian
    with transaction.atomic():
        alarm = Alarm.objects.create(
            subject_id=qr_code.subject_id,
            qr_code=qr_code,
            situation_type=situation_type,
            is_test=situation_type == SituationType.TEST,
            description=description,
            location=location,
            latitude=latitude,
            longitude=longitude,
            scanner_ip=scanner_ip,
            scanner_user_agent=scanner_user_agent[:1000],
            is_phototaker=is_phototaker,
        )
        qr_code_mark_used(qr_code_id=qr_code.pk)
        attempt = NotificationAttempt.objects.create(
            alarm=alarm, custodian=custodian, recipient_key=f"custodian:{custodian.pk}", channel=channel_order()[0]
        )
        transaction.on_commit(partial(attempt_enqueue, attempt_id=attempt.pk))
    log.info("alarm created id=%s situation=%s attempts=1", alarm.pk, alarm.situation_type)
    return alarm


def attempt_enqueue(*, attempt_id: int, countdown: float | None = None) -> bool:
    """Queue delivery. A broker that is down must not fail the scan: the row stays PENDING for the sweeper."""
    from .tasks import deliver_attempt

    try:
        deliver_attempt.apply_async(args=[attempt_id], countdown=countdown)
        return True
    except Exception:
        log.warning("could not queue attempt id=%s; it stays pending for the sweeper", attempt_id, exc_info=True)
        return False


def _message_context(alarm: Alarm, language: str) -> dict[str, object]:
    when = timezone.localtime(alarm.timestamp)
    location = alarm.location or ""
    if alarm.latitude is not None and alarm.longitude is not None:
        location = (
            location + " " if location else ""
        ) + f"https://maps.google.com/?q={alarm.latitude},{alarm.longitude}"
    return {
        "subject_name": alarm.subject.first_name,
        "situation": alarm.get_situation_type_display(),
        "location": location or "-",
        "description": alarm.description or "-",
        "timestamp": date_format(when, "Y-m-d H:i"),
    }


def attempt_deliver(*, attempt_id: int) -> NotificationAttempt | None:
    """Deliver one attempt, at most once.

    The PENDING -> PROCESSING update claims the row: of two workers (or a redelivered task) only the one
    that changed the row goes on. No lock is held across the provider call. Raises ChannelError for a
    transient failure so the task can retry; the row is back at PENDING by then.
    """
    now = timezone.now()
    claimed = NotificationAttempt.objects.filter(pk=attempt_id, status=NotificationStatus.PENDING).update(
        status=NotificationStatus.PROCESSING, claimed_at=now, updated_at=now
    )
    if claimed != 1:
        log.info("attempt id=%s not pending; nothing to do", attempt_id)
        return None
    attempt = NotificationAttempt.objects.select_related("alarm__subject", "custodian__user", "message").get(
        pk=attempt_id
    )
    message = attempt.message or _attempt_message(attempt)
    Alarm.objects.filter(pk=attempt.alarm_id).update(
        notification_attempts=F("notification_attempts") + 1, last_attempt=now
    )
    try:
        message = message_send(message=message)
    except ChannelError as exc:
        return _attempt_failed(attempt=attempt, error=exc)
    with transaction.atomic():
        NotificationAttempt.objects.filter(pk=attempt.pk).update(
            status=NotificationStatus.SENT, sent_at=message.sent_at, error="", updated_at=timezone.now()
        )
        Alarm.objects.filter(pk=attempt.alarm_id).update(
            notification_sent=True, notification_status=NotificationStatus.SENT, notification_error=""
        )
    attempt.refresh_from_db()
    return attempt


def _attempt_message(attempt: NotificationAttempt):
    custodian: Custodian = attempt.custodian
    alarm = attempt.alarm
    message = message_compose(
        kind=alarm.situation_type,
        language=custodian.language,
        channel=attempt.channel,
        to=custodian.email if attempt.channel == "email" else str(custodian.phone_number or custodian.email),
        context=_message_context(alarm, custodian.language),
        owner=custodian.user,
        recipient_name=str(custodian),
    )
    NotificationAttempt.objects.filter(pk=attempt.pk).update(message=message)
    return message


def _attempt_failed(*, attempt: NotificationAttempt, error: ChannelError) -> NotificationAttempt:
    final = error.permanent or attempt.retry_count >= MAX_RETRIES
    status = NotificationStatus.FAILED if final else NotificationStatus.PENDING
    NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.PROCESSING).update(
        status=status,
        retry_count=F("retry_count") + (0 if final else 1),
        error=str(error)[:2000],
        updated_at=timezone.now(),
    )
    if final:
        Alarm.objects.filter(pk=attempt.alarm_id, notification_sent=False).update(
            notification_status=NotificationStatus.FAILED, notification_error=str(error)[:2000]
        )
        attempt.refresh_from_db()
        return attempt
    raise error


def alarm_resolve(*, alarm: Alarm, user, notes: str = "") -> Alarm:
    Alarm.objects.filter(pk=alarm.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution_notes=notes[:2000]
    )
    alarm.refresh_from_db()
    return alarm


def alarm_retry_failed(*, alarm: Alarm) -> list[NotificationAttempt]:
    failed = list(alarm.attempts.filter(status__in=[NotificationStatus.FAILED, NotificationStatus.ERROR]))
    for attempt in failed:
        if NotificationAttempt.objects.filter(pk=attempt.pk, status=attempt.status).update(
            status=NotificationStatus.PENDING, retry_count=0, updated_at=timezone.now()
        ):
            transaction.on_commit(partial(attempt_enqueue, attempt_id=attempt.pk))
    return list(alarm.attempts.filter(pk__in=[a.pk for a in failed]))
