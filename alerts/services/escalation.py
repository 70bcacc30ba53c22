"""Nobody acknowledged: the policy's levels, its repeated rounds, and then Keryu staff. It never ends in silence.

A round is the escalation policy run once: the first messages (alarms.alarm_route), then every ack_timeout a
level that re-notifies everyone told in this round on their next channel, up to max_depth levels. When the
last level's timeout passes with nobody answering, the round starts again (policy.repeat times, PagerDuty's
"repeat"): everyone messaged so far, from their first channel. After the last round the alarm is handed to
Keryu staff (a StaffEscalation): their dashboard queue, and the on-call staff told on their own channels.
An INJURED alarm is handed to staff sooner, KERYU_INJURED_STAFF_SECONDS after the injury was reported.

Each step is claimed: a level or a round by a conditional update of the alarm, a hand-over by its unique
row, its notification by a lease. Two beats at once do each step once; one step per alarm per run (beat
comes back within seconds).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from messaging.services import channel_next

from ..models import (
    Alarm,
    EscalationPolicy,
    NotificationAttempt,
    NotificationStatus,
    ScanEvent,
    SituationType,
    StaffEscalation,
    StaffEscalationStage,
)
from . import recipients as rec
from .alarm_status import SUCCESS, alarm_status_refresh
from .delivery import attempt_add, attempt_next_channel
from .staff import staff_alert

log = logging.getLogger(__name__)

# Alarms older than this are left alone by the periodic escalation (their families have long been told).
HORIZON = timedelta(days=2)
# A repeated round re-sends to everyone whose first message went out or was tried: not to a row still waiting
# for its time (a later contact in the first round) or cancelled.
NOT_YET_MESSAGED = (NotificationStatus.PENDING, NotificationStatus.CANCELLED)


def alarms_escalate() -> list[int]:
    """One step for each unacknowledged alarm that is due one: the next level, a repeated round, or staff.
    Returns the attempts created (queued once their rows commit)."""
    now = timezone.now()
    created: list[int] = []
    handed = StaffEscalation.objects.filter(alarm=OuterRef("pk"), stage=StaffEscalationStage.EXHAUSTED)
    candidates = (
        Alarm.objects.filter(acknowledged_at__isnull=True, resolved_at__isnull=True, timestamp__gte=now - HORIZON)
        .exclude(situation_type=SituationType.TEST)
        .exclude(Exists(handed))
    )
    fields = (
        "pk",
        "situation_type",
        "timestamp",
        "escalation_level",
        "escalation_round",
        "escalation_round_started_at",
    )
    policies: dict[str, EscalationPolicy] = {}
    for alarm in candidates.only(*fields)[:500]:
        policy = policies.setdefault(alarm.situation_type, rec.policy_for(alarm.situation_type))
        created += _alarm_step(alarm=alarm, policy=policy, now=now)
    return created


def _alarm_step(*, alarm: Alarm, policy: EscalationPolicy, now: datetime) -> list[int]:
    started = alarm.escalation_round_started_at or alarm.timestamp
    due_at = started + timedelta(seconds=policy.ack_timeout_seconds * (alarm.escalation_level + 1))
    if now < due_at:
        return []
    if alarm.escalation_level < policy.max_depth:
        return _level_next(alarm=alarm)
    if alarm.escalation_round < policy.repeat:
        return _round_repeat(alarm=alarm, now=now)
    staff_escalation_open(alarm_id=alarm.pk, stage=StaffEscalationStage.EXHAUSTED)
    return []


def _claim(alarm: Alarm, **changes: object) -> bool:
    """Move the alarm on from the level and round this run read; False when another run did first."""
    return bool(
        Alarm.objects.filter(
            pk=alarm.pk, escalation_round=alarm.escalation_round, escalation_level=alarm.escalation_level
        ).update(**changes)
    )


def _level_next(*, alarm: Alarm) -> list[int]:
    """Re-notify everyone told in this round on their next channel."""
    level = alarm.escalation_level + 1
    if not _claim(alarm, escalation_level=level):
        return []
    created: list[int] = []
    told = alarm.attempts.filter(status__in=SUCCESS, update_seq=0, escalation_round=alarm.escalation_round)
    seen: set[str] = set()
    for attempt in told.select_related("contact", "custodian").order_by("recipient_key", "-created_at"):
        if attempt.recipient_key in seen:
            continue
        seen.add(attempt.recipient_key)
        nxt = attempt_next_channel(attempt=attempt, wave=level)
        if nxt is not None:
            created.append(nxt.pk)
    log.info(
        "alarm id=%s escalated to level %s round %s new_attempts=%s",
        alarm.pk,
        level,
        alarm.escalation_round,
        len(created),
    )
    return created


def _round_repeat(*, alarm: Alarm, now: datetime) -> list[int]:
    """The policy ran out: start the round again, everyone messaged so far on their first channel now."""
    next_round = alarm.escalation_round + 1
    if not _claim(alarm, escalation_round=next_round, escalation_level=0, escalation_round_started_at=now):
        return []
    messaged = (
        alarm.attempts.filter(update_seq=0)
        .exclude(status__in=NOT_YET_MESSAGED)
        .select_related("alarm__subject__custodian__user", "alarm__triggered_by", "contact", "custodian")
        .order_by("created_at", "pk")
    )
    sources: dict[str, NotificationAttempt] = {}
    for attempt in messaged:
        sources.setdefault(attempt.recipient_key, attempt)
    created: list[int] = []
    for source in sources.values():
        phone, email = rec.attempt_addresses(source)
        channel = channel_next(preferred=rec.attempt_preferred(source), phone=phone, email=email)
        if channel is None:
            continue
        new = attempt_add(source=source, channel=channel, wave=0, escalation_round=next_round)
        if new is not None:
            created.append(new.pk)
    alarm_status_refresh(alarm_id=alarm.pk)
    log.warning("alarm id=%s unacknowledged: round %s started, new_attempts=%s", alarm.pk, next_round, len(created))
    return created


# --- Keryu staff ---------------------------------------------------------------------------------


def alarms_injured_to_staff() -> list[int]:
    """INJURED alarms nobody acknowledged within KERYU_INJURED_STAFF_SECONDS of the injury report (the first
    report, or the later one that upgraded the alarm): handed to staff. Returns the alarms handed over now."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.KERYU_INJURED_STAFF_SECONDS)
    first_injury = ScanEvent.objects.filter(alarm=OuterRef("pk"), situation_type=SituationType.INJURED).order_by(
        "timestamp"
    )
    injured_since = Case(
        When(first_situation_type__in=[SituationType.INJURED, ""], then=F("timestamp")),
        default=Coalesce(Subquery(first_injury.values("timestamp")[:1]), F("timestamp")),
    )
    handed = StaffEscalation.objects.filter(alarm=OuterRef("pk"), stage=StaffEscalationStage.INJURED)
    due = (
        Alarm.objects.filter(
            situation_type=SituationType.INJURED,
            is_test=False,
            acknowledged_at__isnull=True,
            resolved_at__isnull=True,
            timestamp__gte=now - HORIZON,
        )
        .exclude(Exists(handed))
        .annotate(injured_since=injured_since)
        .filter(injured_since__lte=cutoff)
    )
    return [
        pk
        for pk in due.values_list("pk", flat=True)[:500]
        if staff_escalation_open(alarm_id=pk, stage=StaffEscalationStage.INJURED)
    ]


def staff_escalation_open(*, alarm_id: int, stage: str) -> StaffEscalation | None:
    """Hand an alarm to staff at this stage, once: the row's insert is the claim (None: it was handed already)."""
    try:
        with transaction.atomic():
            escalation = StaffEscalation.objects.create(alarm_id=alarm_id, stage=stage)
    except IntegrityError:
        return None
    log.warning("alarm id=%s handed to staff stage=%s", alarm_id, stage)
    return escalation


def staff_escalations_notify() -> list[int]:
    """Tell staff of every hand-over not told yet (including one whose worker died mid-way: its lease ran out)."""
    lease = timezone.now() - timedelta(seconds=settings.KERYU_PROCESSING_LEASE_SECONDS)
    waiting = StaffEscalation.objects.filter(notified_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease)
    )
    return [pk for pk in waiting.values_list("pk", flat=True)[:100] if staff_escalation_notify(escalation_id=pk)]


def staff_escalation_notify(*, escalation_id: int) -> bool:
    """Tell staff (alerts.services.staff.staff_alert: the on-call list on their own channels) about one
    hand-over, at most once: claimed with a lease, marked done after. An alarm acknowledged or resolved
    meanwhile needs nobody: it is marked done with nobody told. Returns True when this call settled it."""
    now = timezone.now()
    lease = now - timedelta(seconds=settings.KERYU_PROCESSING_LEASE_SECONDS)
    mine = StaffEscalation.objects.filter(pk=escalation_id, notified_at__isnull=True)
    if not mine.filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease)).update(claimed_at=now):
        return False
    escalation = StaffEscalation.objects.select_related("alarm").get(pk=escalation_id)
    alarm = escalation.alarm
    told = 0
    if alarm.acknowledged_at is None and alarm.resolved_at is None:
        subject, body = staff_escalation_text(escalation)
        told = staff_alert(subject=subject, body=body)
    mine.filter(claimed_at=now).update(notified_at=timezone.now(), staff_told=told)
    log.warning("alarm id=%s staff hand-over %s: staff told=%s", alarm.pk, escalation.stage, told)
    return True


def staff_escalation_text(escalation: StaffEscalation) -> tuple[str, str]:
    """Subject and body for staff: ids, the situation and why, and the link; nothing about the family."""
    alarm = escalation.alarm
    url = settings.KERYU_PUBLIC_BASE_URL + reverse("wagtailsnippets_alerts_alarm:inspect", args=[alarm.pk])
    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        situation = str(SituationType(alarm.situation_type).label)
        if escalation.stage == StaffEscalationStage.INJURED:
            minutes = max(1, round(settings.KERYU_INJURED_STAFF_SECONDS / 60))
            why = _("nobody acknowledged it within %(minutes)s min of the injury report") % {"minutes": minutes}
        else:
            why = _("nobody acknowledged it after %(rounds)s rounds of its escalation policy") % {
                "rounds": alarm.escalation_round + 1
            }
        subject = _("Keryu: alarm %(id)s (%(situation)s) needs staff") % {"id": alarm.pk, "situation": situation}
        body = _(
            "Alarm %(id)s (%(situation)s): %(why)s. Open it and take over: acknowledge for the family, mark "
            "emergency services called, note what you did."
        ) % {"id": alarm.pk, "situation": situation, "why": why}
    return subject, f"{body}\n{url}"
