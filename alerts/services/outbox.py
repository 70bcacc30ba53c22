"""The periodic side of delivery: the sweeper, escalation, follow-ups and provider status news.

Every transition is claimed with a conditional update, so two sweepers (or two escalation runs) at once
queue each row once; a row queued twice is harmless anyway, because delivery claims it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from ..models import Alarm, NotificationAttempt, NotificationStatus, SituationType
from . import recipients as rec
from .delivery import SUCCESS, attempt_add, attempt_enqueue, attempt_fallback, tried_channels

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    reclaimed: list[int] = field(default_factory=list)
    broker_down: bool = False


def _requeue(pk: int, result: SweepResult) -> None:
    if result.broker_down:
        return  # the first failure says the broker is away: stop paying its timeout per row
    if not attempt_enqueue(attempt_id=pk):
        result.broker_down = True


def attempts_sweep(*, limit: int = 500) -> SweepResult:
    """Re-queue PENDING rows older than the grace period and PROCESSING rows past their lease (a dead worker)."""
    now = timezone.now()
    grace = now - timedelta(seconds=settings.KERYU_SWEEP_GRACE_SECONDS)
    lease = now - timedelta(seconds=settings.KERYU_PROCESSING_LEASE_SECONDS)
    result = SweepResult()
    stuck = NotificationAttempt.objects.filter(status=NotificationStatus.PROCESSING, claimed_at__lt=lease)
    for pk, claimed_at in stuck.values_list("pk", "claimed_at")[:limit]:
        # Back to PENDING only if nobody else did it first (the claimed_at we saw is still there).
        if NotificationAttempt.objects.filter(
            pk=pk, status=NotificationStatus.PROCESSING, claimed_at=claimed_at
        ).update(status=NotificationStatus.PENDING, not_before=None, updated_at=now):
            log.warning("attempt id=%s: worker lease expired; re-queued", pk)
            result.reclaimed.append(pk)
            _requeue(pk, result)
    due = NotificationAttempt.objects.filter(status=NotificationStatus.PENDING).filter(
        Q(not_before__isnull=True, updated_at__lt=grace) | Q(not_before__lt=grace)
    )
    for pk, updated_at in due.values_list("pk", "updated_at")[:limit]:
        if pk in result.reclaimed:
            continue
        if NotificationAttempt.objects.filter(pk=pk, status=NotificationStatus.PENDING, updated_at=updated_at).update(
            updated_at=now, not_before=None
        ):
            result.requeued.append(pk)
            _requeue(pk, result)
    if result.requeued or result.reclaimed:
        log.info(
            "sweep requeued=%s reclaimed=%s broker_down=%s",
            len(result.requeued),
            len(result.reclaimed),
            result.broker_down,
        )
    return result


def attempts_release_due() -> list[int]:
    """Escalation rows whose time has come (nobody acknowledged): queue them now."""
    now = timezone.now()
    released = []
    due = NotificationAttempt.objects.filter(
        status=NotificationStatus.PENDING, retry_count=0, not_before__isnull=False, not_before__lte=now
    ).values_list("pk", "not_before")
    for pk, not_before in due[:500]:
        if NotificationAttempt.objects.filter(pk=pk, status=NotificationStatus.PENDING, not_before=not_before).update(
            not_before=None, updated_at=now
        ):
            released.append(pk)
            attempt_enqueue(attempt_id=pk)
    if released:
        log.info("escalation released attempts=%s", released)
    return released


def whatsapp_follow_up() -> list[int]:
    """A WhatsApp message still not delivered after the policy's timeout gets the next channel (SMS)."""
    now = timezone.now()
    created = []
    open_alarms = Alarm.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True)
    # Already followed up: a later row for the same recipient exists. Skipping those keeps each run cheap.
    later = NotificationAttempt.objects.filter(
        alarm_id=OuterRef("alarm_id"),
        update_seq=OuterRef("update_seq"),
        recipient_key=OuterRef("recipient_key"),
        created_at__gt=OuterRef("created_at"),
    )
    sent = (
        NotificationAttempt.objects.filter(
            status=NotificationStatus.SENT,
            alarm__in=open_alarms,
            channel__in=[k for k, fam in rec.FAMILY.items() if fam == "whatsapp"],
            sent_at__gte=now - timedelta(days=1),
        )
        .exclude(Exists(later))
        .select_related("alarm", "contact", "custodian")
    )
    for attempt in sent[:500]:
        policy = rec.policy_for(attempt.alarm.situation_type)
        if attempt.sent_at > now - timedelta(seconds=policy.whatsapp_delivery_timeout_seconds):
            continue
        nxt = attempt_fallback(attempt=attempt, reason="not delivered in time")
        if nxt is not None:
            created.append(nxt.pk)
    return created


def alarms_escalate() -> list[int]:
    """No acknowledgement within the policy's timeout: re-notify everyone told so far on their next channel.

    The level is claimed with a conditional update, so concurrent runs escalate each level once; depth bounds it.
    """
    now = timezone.now()
    created: list[int] = []
    candidates = Alarm.objects.filter(
        acknowledged_at__isnull=True, resolved_at__isnull=True, timestamp__gte=now - timedelta(days=2)
    ).exclude(situation_type=SituationType.TEST)
    for alarm in candidates.only("pk", "situation_type", "timestamp", "escalation_level")[:500]:
        policy = rec.policy_for(alarm.situation_type)
        if alarm.escalation_level >= policy.max_depth:
            continue
        due_at = alarm.timestamp + timedelta(seconds=policy.ack_timeout_seconds * (alarm.escalation_level + 1))
        if now < due_at:
            continue
        level = alarm.escalation_level + 1
        if not Alarm.objects.filter(pk=alarm.pk, escalation_level=alarm.escalation_level).update(
            escalation_level=level
        ):
            continue
        told = alarm.attempts.filter(status__in=SUCCESS, update_seq=0).select_related("contact", "custodian")
        seen: set[str] = set()
        for attempt in told.order_by("recipient_key", "-created_at"):
            if attempt.recipient_key in seen:
                continue
            seen.add(attempt.recipient_key)
            nxt = _next_channel(attempt, level)
            if nxt is not None:
                created.append(nxt.pk)
        log.info("alarm id=%s escalated to level %s new_attempts=%s", alarm.pk, level, len(created))
    return created


def _next_channel(attempt: NotificationAttempt, level: int) -> NotificationAttempt | None:
    phone, email = rec.attempt_addresses(attempt)
    preferred = attempt.contact.preferred_channel if attempt.contact is not None else None
    tried = tried_channels(attempt)
    for channel in rec.usable_channels(preferred=preferred, phone=phone, email=email):
        if channel not in tried:
            return attempt_add(source=attempt, channel=channel, wave=level)
    return None


STATUS_MAP = {
    "delivered": NotificationStatus.DELIVERED,
    "read": NotificationStatus.READ,
    "undelivered": NotificationStatus.UNDELIVERED,
    "failed": NotificationStatus.FAILED,
}


def attempt_status_from_message(*, message_id: int, status: str) -> None:
    """Provider news about a message: move its attempt forward; an undelivered/failed one falls back."""
    new = STATUS_MAP.get(status)
    if new is None:
        return
    attempt = NotificationAttempt.objects.filter(message_id=message_id).select_related("contact", "custodian").first()
    if attempt is None:
        return
    now = timezone.now()
    if new in (NotificationStatus.DELIVERED, NotificationStatus.READ):
        allowed = [NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.PROCESSING]
        if NotificationAttempt.objects.filter(pk=attempt.pk, status__in=allowed).update(
            status=new, delivered_at=now, updated_at=now
        ):
            Alarm.objects.filter(pk=attempt.alarm_id).exclude(notification_status=NotificationStatus.READ).update(
                notification_status=new, notification_sent=True
            )
        return
    # Failed or undelivered after it was sent: the provider gave up, try the next channel.
    if NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.SENT).update(
        status=new, updated_at=now
    ):
        attempt.refresh_from_db()
        attempt_fallback(attempt=attempt, reason=status)


def inbound_acknowledge(*, in_reply_to_id: int | None, body: str) -> bool:
    """A reply to an alarm message acknowledges the alarm and its text goes to the finder."""
    from .alarms import alarm_acknowledge

    if in_reply_to_id is None:
        return False
    attempt = NotificationAttempt.objects.filter(message_id=in_reply_to_id).only("pk", "alarm_id").first()
    if attempt is None:
        return False
    alarm_acknowledge(alarm_id=attempt.alarm_id, attempt_id=attempt.pk, note=body, via="reply")
    return True
