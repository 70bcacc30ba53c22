"""The periodic side of delivery: the sweeper, releasing scheduled rows, follow-ups and provider status news
(escalation when nobody acknowledges: alerts.services.escalation).

Every transition is claimed with a conditional update, so two sweepers (or two escalation runs) at once
queue each row once; a row queued twice is harmless anyway, because delivery claims it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from messaging.channels import CHANNEL_FAMILIES, Family
from messaging.models import MessageStatus

from ..models import NO_RECEIPT, Alarm, NotificationAttempt, NotificationStatus
from . import recipients as rec
from .alarm_status import SUCCESS, alarm_status_refresh, alarm_status_sent
from .delivery import attempt_enqueue, attempt_fallback, attempt_reclaim

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    requeued: list[int] = field(default_factory=list)
    reclaimed: list[int] = field(default_factory=list)
    settled: list[int] = field(default_factory=list)  # lease expired after the provider call: SENT/UNCERTAIN/...
    moved_on: list[int] = field(default_factory=list)  # uncertain without a receipt: next channel
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
        if claimed_at is None:  # (never: the filter asked for claimed_at < lease)
            continue
        # Claimed once by the claimed_at we saw. Re-queued only if the send never reached the network.
        outcome = attempt_reclaim(attempt_id=pk, claimed_at=claimed_at)
        if outcome == NotificationStatus.PENDING:
            log.warning("attempt id=%s: worker lease expired before sending; re-queued", pk)
            result.reclaimed.append(pk)
            _requeue(pk, result)
        elif outcome is not None:
            log.warning("attempt id=%s: worker lease expired after sending; now %s", pk, outcome)
            result.settled.append(pk)
    result.moved_on = attempts_uncertain_expire(now=now, limit=limit)
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
    if result.requeued or result.reclaimed or result.settled or result.moved_on:
        log.info(
            "sweep requeued=%s reclaimed=%s settled=%s moved_on=%s broker_down=%s",
            len(result.requeued),
            len(result.reclaimed),
            len(result.settled),
            len(result.moved_on),
            result.broker_down,
        )
    return result


def attempts_uncertain_expire(*, now: datetime, limit: int = 500) -> list[int]:
    """Uncertain sends with no receipt after KERYU_UNCERTAIN_RECEIPT_SECONDS (counted from the request going
    out): the recipient moves to the next channel. The attempt stays readable as UNCONFIRMED and a late
    receipt still closes it; the channel is never tried again for this message. Claimed once per row."""
    cutoff = now - timedelta(seconds=settings.KERYU_UNCERTAIN_RECEIPT_SECONDS)
    due = NotificationAttempt.objects.filter(status=NotificationStatus.UNCERTAIN).filter(
        Q(dispatched_at__lt=cutoff) | Q(dispatched_at__isnull=True, updated_at__lt=cutoff)
    )
    moved = []
    for pk in due.values_list("pk", flat=True)[:limit]:
        if not NotificationAttempt.objects.filter(pk=pk, status=NotificationStatus.UNCERTAIN).update(
            status=NotificationStatus.UNCONFIRMED, updated_at=now
        ):
            continue
        attempt = NotificationAttempt.objects.select_related("contact", "custodian").get(pk=pk)
        attempt_fallback(attempt=attempt, reason="no receipt for an uncertain send")
        moved.append(pk)
    return moved


def attempts_release_due() -> list[int]:
    """Escalation rows whose time has come (nobody acknowledged): queue them now."""
    now = timezone.now()
    released = []
    alarms: set[int] = set()
    due = NotificationAttempt.objects.filter(
        status=NotificationStatus.PENDING, retry_count=0, not_before__isnull=False, not_before__lte=now
    ).values_list("pk", "not_before", "alarm_id")
    for pk, not_before, alarm_id in due[:500]:
        if NotificationAttempt.objects.filter(pk=pk, status=NotificationStatus.PENDING, not_before=not_before).update(
            not_before=None, updated_at=now
        ):
            released.append(pk)
            alarms.add(alarm_id)
            attempt_enqueue(attempt_id=pk)
    for alarm_id in sorted(alarms):
        alarm_status_refresh(alarm_id=alarm_id)  # a scheduled row now in flight: a FAILED alarm is pending again
    if released:
        log.info("escalation released attempts=%s", released)
    return released


def no_receipt_reason(seconds: int) -> str:
    return NO_RECEIPT.format(seconds=seconds)


def whatsapp_follow_up() -> list[int]:
    """A WhatsApp message accepted but neither delivered nor read (a skipped "delivered" with a "read" counts)
    within KERYU_DELIVERY_RECEIPT_SECONDS (at most the policy's timeout) gets the next channel, once."""
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
            channel__in=CHANNEL_FAMILIES[Family.WHATSAPP],
            sent_at__gte=now - timedelta(days=1),
        )
        .exclude(Exists(later))
        .select_related("alarm", "contact", "custodian")
    )
    for attempt in sent[:500]:
        policy = rec.policy_for(attempt.alarm.situation_type)
        seconds = min(policy.whatsapp_delivery_timeout_seconds, settings.KERYU_DELIVERY_RECEIPT_SECONDS)
        if attempt.sent_at is None or attempt.sent_at > now - timedelta(seconds=seconds):
            continue
        # The reason, on the row that is moved on from (the alarm's timeline shows it).
        NotificationAttempt.objects.filter(pk=attempt.pk, error="").update(error=no_receipt_reason(seconds))
        nxt = attempt_fallback(attempt=attempt, reason="not delivered in time")
        if nxt is not None:
            created.append(nxt.pk)
    return created


# What a message's status (messaging) means for its attempt.
STATUS_MAP: dict[str, NotificationStatus] = {
    MessageStatus.SENT: NotificationStatus.SENT,
    MessageStatus.DELIVERED: NotificationStatus.DELIVERED,
    MessageStatus.READ: NotificationStatus.READ,
    MessageStatus.UNDELIVERED: NotificationStatus.UNDELIVERED,
    MessageStatus.FAILED: NotificationStatus.FAILED,
}
# What each receipt may close: any state below it, forward only. A receipt for an attempt that went back to
# PENDING (or is being claimed again) ends it there: the claim and the dispatch marker both refuse to send it.
CLOSES: dict[str, list[str]] = {
    NotificationStatus.SENT: [
        NotificationStatus.PENDING,
        NotificationStatus.PROCESSING,
        NotificationStatus.UNCERTAIN,
        NotificationStatus.UNCONFIRMED,
        NotificationStatus.FAILED,
        NotificationStatus.ERROR,
    ],
    NotificationStatus.DELIVERED: [s for s in NotificationStatus.values if s not in SUCCESS[1:]],
    NotificationStatus.READ: [s for s in NotificationStatus.values if s != NotificationStatus.READ],
}


def attempt_status_from_message(*, message_id: int, status: str) -> None:
    """Provider news about a message (its receipt): move its attempt forward from whatever state it is in;
    an undelivered/failed one falls back to the next channel unless it already did."""
    new = STATUS_MAP.get(status)
    if new is None:
        return
    attempt = NotificationAttempt.objects.filter(message_id=message_id).select_related("contact", "custodian").first()
    if attempt is None:
        return
    now = timezone.now()
    if new in CLOSES:
        fields: dict[str, object] = {"status": new, "updated_at": now, "sent_at": Coalesce(F("sent_at"), Value(now))}
        if new != NotificationStatus.SENT:
            fields["delivered_at"] = Coalesce(F("delivered_at"), Value(now))
        if NotificationAttempt.objects.filter(pk=attempt.pk, status__in=CLOSES[new]).update(**fields):
            log.info("attempt id=%s now %s by provider news (was %s)", attempt.pk, new, attempt.status)
            if new == NotificationStatus.SENT:
                alarm_status_sent(alarm_id=attempt.alarm_id)  # the provider's answer to our own send
            else:
                alarm_status_refresh(alarm_id=attempt.alarm_id)
        return
    # Failed or undelivered after it was (or may have been) sent: the provider gave up, try the next channel.
    # UNCONFIRMED already moved on; its record just learns the outcome.
    if NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.UNCONFIRMED).update(
        status=new, updated_at=now
    ):
        return
    if NotificationAttempt.objects.filter(
        pk=attempt.pk, status__in=[NotificationStatus.SENT, NotificationStatus.UNCERTAIN]
    ).update(status=new, updated_at=now):
        attempt.refresh_from_db()
        attempt_fallback(attempt=attempt, reason=status)
