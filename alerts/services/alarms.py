"""Raising, acknowledging, resolving and retrying alarms."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import user_is_staff
from registry.models import QRCode
from registry.services import qr_code_mark_used

from ..models import OPEN_FOR_REPORTS, Alarm, AlarmSource, NotificationAttempt, NotificationStatus, SituationType
from . import recipients as rec
from .alarm_status import FAMILY, NOBODY_REACHABLE, alarm_status_refresh
from .delivery import enqueue_on_commit, publish_options_for
from .notices import alarm_acknowledged_tell, alarm_handler, alarm_resolved_tell

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.db.models import QuerySet

log = logging.getLogger(__name__)
NOTE_MAX = 500
ACK_VIA_STAFF = "staff"


class AlarmAlreadyOpen(ValidationError):
    """The code already has an open alarm; a further report joins it (the API answers 400 with this)."""

    def __init__(self) -> None:
        super().__init__("This code already has an open alarm; further reports join it.", code="alarm_open")


def _stale_alarm_close(*, qr_code_id: int, now: datetime) -> int:
    """An open alarm older than the cooldown stops taking reports, in the transaction that raises the new one.

    Why a new alarm rather than joining the old one: an alarm that has gone KERYU_SCAN_COOLDOWN_SECONDS since
    its first report has usually run its escalation and been read; a report now is most likely a new
    emergency, and the family wants it to reach everyone the policy names with a first message and a fresh
    escalation, not as a throttled update in a thread they may have stopped watching. The old alarm keeps its
    history and stays unresolved until someone closes it. Closing it lazily here (instead of by a periodic
    task) keeps the rule exact at the moment it matters, and racing reports past the cooldown still meet the
    constraint: the first closes the old alarm and inserts, the others find the new one and join it.
    """
    since = now - timedelta(seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS)
    return Alarm.objects.filter(OPEN_FOR_REPORTS, qr_code_id=qr_code_id, timestamp__lt=since).update(
        grouping_closed_at=now
    )


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
    triggered_by: User | None = None,
    finder_name: str = "",
    finder_phone: str = "",
    finder_phone_shared: bool = False,
    source: str = AlarmSource.WEB,
    close_stale: bool = True,
) -> Alarm:
    """Store the alarm and its whole outbox (every recipient, at once or scheduled) in one transaction.

    Rows due now are queued once the transaction commits; scheduled rows (escalation) carry `not_before`
    and are released by the escalation task unless someone acknowledges first.

    A code has at most one open alarm (the database's alerts_one_open_alarm_per_code): raises AlarmAlreadyOpen
    when it has one. Reports go through alerts.services.reports.report_submit, which joins it instead.
    `close_stale=False`: the caller has just read that the code has no open alarm past the cooldown to close
    (report_submit's one read), so the closing UPDATE is left out; a concurrent report still meets the constraint.
    """
    if situation_type not in SituationType.values:
        raise ValidationError({"situation_type": "Choose what is happening."})
    now = timezone.now()
    is_test = situation_type == SituationType.TEST
    # Everything that can be known before the transaction is worked out before it: the row, who is told, on
    # which channel and when. The transaction then only writes (docs/benchmarks.md: Python working inside it
    # kept PostgreSQL "idle in transaction").
    alarm = Alarm(
        subject=qr_code.subject,  # the scan already loaded it (with custodian and user): no refetch
        qr_code=qr_code,
        timestamp=now,
        situation_type=situation_type,
        first_situation_type=situation_type,
        is_test=is_test,
        description=description,
        location=location,
        latitude=latitude,
        longitude=longitude,
        scanner_ip=scanner_ip,
        scanner_user_agent=scanner_user_agent[:1000],
        is_phototaker=is_phototaker,
        triggered_by=triggered_by,
        finder_name=finder_name[:100],
        finder_phone=finder_phone[:32],
        finder_phone_shared=finder_phone_shared and bool(finder_phone),
        source=AlarmSource.BUTTON if is_test else source,
    )
    plan = route_plan(alarm=alarm, now=now, told=set())
    if not plan:  # nobody has a channel: the roll-up alarm_status_derive would write, known now
        alarm.notification_status = NotificationStatus.FAILED
        alarm.notification_error = NOBODY_REACHABLE
    with transaction.atomic():
        if not is_test and close_stale:
            _stale_alarm_close(qr_code_id=qr_code.pk, now=now)
        try:
            with transaction.atomic():  # a savepoint: a lost race leaves the caller's transaction usable
                alarm.save(force_insert=True)
        except IntegrityError as exc:
            # The only unique rule an alarm row has is alerts_one_open_alarm_per_code.
            raise AlarmAlreadyOpen from exc
        qr_code_mark_used(qr_code_id=qr_code.pk)
        created = _plan_write(alarm=alarm, plan=plan)
        if not any(step.recipient.kind in FAMILY for step in plan):
            # The family cannot be reached: the roll-up's staff alert (rare; the usual alarm needs no refresh).
            alarm_status_refresh(alarm_id=alarm.pk)
    log.info("alarm created id=%s situation=%s attempts=%s", alarm.pk, alarm.situation_type, created)
    return alarm


@dataclass(frozen=True)
class RouteStep:
    """One new recipient's first message: on `channel`, due at `due` (None: at once)."""

    recipient: rec.Recipient
    channel: str
    due: datetime | None


def route_plan(*, alarm: Alarm, now: datetime, told: set[str]) -> list[RouteStep]:
    """The first messages the policy wants for the alarm's situation, for recipients not in `told` (reads only:
    the policy, the contacts and the channels; nothing is written). Unreachable recipients are logged."""
    plan = []
    for recipient, delay in rec.recipients_for(alarm=alarm):
        if recipient.key in told:
            continue
        due = alarm.timestamp + delay if delay is not None else None
        if due is not None and due <= now:
            due = None
        channel = rec.recipient_first_channel(recipient, alarm)
        if channel is None:
            log.warning("alarm id=%s recipient=%s has no reachable channel", alarm.pk, recipient.key)
            continue
        plan.append(RouteStep(recipient=recipient, channel=channel, due=due))
    return plan


def _plan_write(*, alarm: Alarm, plan: list[RouteStep]) -> int:
    """The plan's rows in one INSERT; those due now are queued once the transaction commits."""
    rows = NotificationAttempt.objects.bulk_create(
        [
            NotificationAttempt(
                alarm=alarm,
                custodian_id=step.recipient.custodian_id,
                contact_id=step.recipient.contact_id,
                recipient_key=step.recipient.key,
                recipient_kind=step.recipient.kind,
                recipient_name=step.recipient.name[:150],
                language=step.recipient.language,
                channel=step.channel,
                wave=0,
                not_before=step.due,
            )
            for step in plan
        ]
    )
    options = publish_options_for(update_seq=0, situation=alarm.situation_type)  # first messages: no read
    for row in rows:
        if row.not_before is None:
            enqueue_on_commit(row.pk, options=options)
    return len(rows)


def alarm_route(*, alarm: Alarm, now: datetime) -> int:
    """Write the alarm's outbox for its current situation; returns how many rows were written or released.

    Run when a more serious report upgrades an alarm (INJURED after LOST); a new alarm writes its plan in
    alarm_create. Each recipient the policy names gets one first-message row (update_seq 0) on their first
    channel, due at once or at alarm.timestamp + the policy's delay. Someone who already has a row is never
    given a second first message: a row still waiting for a later time is brought forward to what the new
    policy says, and one an acknowledgement cancelled before it went is released again when the new policy
    wants them told at once (an injury is news the emergency contacts and the doctor must have even if the
    custodian saw "lost"). Ends with the alarm's roll-up (FAILED when nobody has a channel).
    """
    count = 0
    first = NotificationAttempt.objects.filter(alarm=alarm, update_seq=0)
    told = set(first.values_list("recipient_key", flat=True))
    for recipient, delay in rec.recipients_for(alarm=alarm):
        if recipient.key not in told:
            continue
        due = alarm.timestamp + delay if delay is not None else None
        if due is not None and due <= now:
            due = None
        count += _rows_bring_forward(first.filter(recipient_key=recipient.key), due=due, now=now)
    count += _plan_write(alarm=alarm, plan=route_plan(alarm=alarm, now=now, told=told))
    alarm_status_refresh(alarm_id=alarm.pk)
    return count


def _rows_bring_forward(rows: QuerySet[NotificationAttempt], *, due: datetime | None, now: datetime) -> int:
    """Rows that never went and wait past `due` (None: now) are moved to it; each move is a conditional update."""
    waiting = rows.filter(retry_count=0, sent_at__isnull=True, message__isnull=True)
    later = Q(status=NotificationStatus.PENDING, not_before__gt=due or now)
    if due is None:
        later |= Q(status=NotificationStatus.CANCELLED)
    moved = 0
    for pk, status, not_before in waiting.filter(later).values_list("pk", "status", "not_before"):
        if NotificationAttempt.objects.filter(pk=pk, status=status, not_before=not_before).update(
            status=NotificationStatus.PENDING, not_before=due, updated_at=now
        ):
            moved += 1
            if due is None:
                enqueue_on_commit(pk)
    return moved


def alarm_test_create(*, qr_code: QRCode, user: User) -> Alarm:
    """The custodian's test button: a TEST alarm through the same pipeline, to the person who pressed it."""
    if not (user_is_staff(user) or qr_code.subject.custodianships.filter(custodian__user=user).exists()):
        raise PermissionDenied
    if not qr_code.is_active:
        raise ValidationError(_("This code is not active; activate it before testing."))
    return alarm_create(qr_code=qr_code, situation_type=SituationType.TEST, triggered_by=user)


def alarm_acknowledge(
    *, alarm_id: int, attempt_id: int | None = None, note: str = "", via: str = "link", user: User | None = None
) -> bool:
    """The first acknowledgement wins and stops escalation; a later one may still add a note for the finder.

    Who acknowledged: the recipient of `attempt_id` (their link or reply), or `user` from the admin (the
    caller has checked the alarm is theirs to see). Returns True when this call acknowledged the alarm.
    Scheduled rows not yet released are cancelled, and every other recipient already messaged is told who
    is handling it (alerts.services.notices).
    """
    note = (note or "").strip()[:NOTE_MAX]
    now = timezone.now()
    alarm = Alarm.objects.select_related("subject__custodian").filter(pk=alarm_id).first()
    if alarm is None:
        return False
    attempt = NotificationAttempt.objects.filter(pk=attempt_id, alarm_id=alarm_id).first() if attempt_id else None
    handler = alarm_handler(alarm=alarm, attempt=attempt, user=user)
    with transaction.atomic():
        changed = Alarm.objects.filter(pk=alarm_id, acknowledged_at__isnull=True).update(
            acknowledged_at=now,
            acknowledged_by=handler.name[:150],
            acknowledged_role=handler.role,
            acknowledged_via=via,
            acknowledgement_note=note,
        )
        if not changed and note:
            Alarm.objects.filter(pk=alarm_id, acknowledgement_note="").update(acknowledgement_note=note)
        if changed:
            # Escalation stops; a scheduled update about a later report still goes (where the subject is now).
            NotificationAttempt.objects.filter(
                alarm_id=alarm_id, update_seq=0, status=NotificationStatus.PENDING, not_before__gt=now, retry_count=0
            ).update(status=NotificationStatus.CANCELLED, updated_at=now)
    if changed:
        log.info("alarm acknowledged id=%s via=%s attempt=%s", alarm_id, via, attempt_id)
        alarm_acknowledged_tell(alarm_id=alarm_id, handler=handler)
    return bool(changed)


def alarm_staff_acknowledge(*, alarm: Alarm, user: User, note: str = "") -> bool:
    """Keryu staff acknowledge for the family (taking over an alarm nobody answered): recorded as staff, by
    name, on the timeline; the escalation stops as for any acknowledgement. Staff only. False when someone
    acknowledged first."""
    if not user_is_staff(user):
        raise PermissionDenied("Only Keryu staff acknowledge for the family.")
    return alarm_acknowledge(alarm_id=alarm.pk, note=note, via=ACK_VIA_STAFF, user=user)


def alarm_resolve(*, alarm: Alarm, user: User, notes: str = "") -> Alarm:
    """Custodians (their own alarms) and staff close an alarm with notes. Resolving also stops escalation, and
    the first resolution tells everyone messaged and the finders who left a number (alerts.services.notices);
    the finders' pages show it closed (alerts.services.finder_state)."""
    from ..selectors import alarms_visible_to

    if not alarms_visible_to(user).filter(pk=alarm.pk).exists():
        raise PermissionDenied
    now = timezone.now()
    handler = alarm_handler(alarm=alarm, user=user)
    with transaction.atomic():
        resolved = Alarm.objects.filter(pk=alarm.pk, resolved_at__isnull=True).update(
            resolved_at=now, resolved_role=handler.role
        )
        Alarm.objects.filter(pk=alarm.pk).update(resolution_notes=notes.strip()[:5000])
        NotificationAttempt.objects.filter(
            alarm_id=alarm.pk, status=NotificationStatus.PENDING, not_before__gt=now, retry_count=0
        ).update(status=NotificationStatus.CANCELLED, updated_at=now)
    alarm.refresh_from_db()
    log.info("alarm resolved id=%s", alarm.pk)
    if resolved:
        alarm_resolved_tell(alarm_id=alarm.pk, handler=handler)
    return alarm


RETRYABLE = (NotificationStatus.FAILED, NotificationStatus.ERROR, NotificationStatus.UNDELIVERED)


def alarm_retry_failed(*, alarm: Alarm, attempt_ids: Collection[int] | None = None) -> int:
    """Put the alarm's failed attempts back in the outbox (the retry button and the periodic retry).

    `attempt_ids` limits it to those attempts (the periodic retry picks one per recipient nobody reached)."""
    now = timezone.now()
    failed = alarm.attempts.filter(status__in=RETRYABLE)
    if attempt_ids is not None:
        failed = failed.filter(pk__in=list(attempt_ids))
    ids = list(failed.values_list("pk", flat=True))
    requeued = 0
    with transaction.atomic():
        for pk in ids:
            if NotificationAttempt.objects.filter(pk=pk, status__in=RETRYABLE).update(
                status=NotificationStatus.PENDING, retry_count=0, not_before=None, updated_at=now, message=None
            ):
                requeued += 1
                enqueue_on_commit(pk)
        if requeued:
            alarm_status_refresh(alarm_id=alarm.pk)
    log.info("alarm id=%s: %s failed attempts re-queued", alarm.pk, requeued)
    return requeued
