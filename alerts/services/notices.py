"""Nobody is left guessing: when someone acknowledges an alarm, every other recipient already messaged is told
who is handling it (by first name and role); when it is closed, every recipient messaged and every finder who
reported by text or left a number are told.

Each notice is an AlarmNotice row, written when the alarm changes (one per alarm, kind and recipient: a second
acknowledgement or a redelivered task tells nobody twice) and sent by a worker through the one channel choice
(messaging.services.channel_next) and the editor-kept templates (ACKNOWLEDGED, RESOLVED, RESOLVED_FINDER). A
finder's text never carries a name: not the family's, not the subject's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format

from core.roles import user_is_staff
from core.sweeping import BATCH, requeue_waiting
from messaging.formatting import address_hash
from messaging.models import Message, MessageStatus
from messaging.services import message_compose, message_send_first
from registry.models import ContactChannel

from ..models import (
    HANDLER_STAFF,
    Alarm,
    AlarmNotice,
    AlarmSource,
    NoticeStatus,
    NotificationAttempt,
    NotificationStatus,
    RecipientKind,
    RelayMessage,
    ScanEvent,
)
from . import recipients as rec
from .alarm_status import ENDED_UNREACHED, SUCCESS
from .delivery import publish_safely
from .finder_state import role_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)

ACKNOWLEDGED = "ACKNOWLEDGED"
RESOLVED = "RESOLVED"
RESOLVED_FINDER = "RESOLVED_FINDER"
# A recipient was messaged once something went out to them (or may have: an uncertain send).
MESSAGED = Q(sent_at__isnull=False) | Q(
    status__in=[*SUCCESS, NotificationStatus.UNCERTAIN, NotificationStatus.UNCONFIRMED]
)


@dataclass(frozen=True)
class Handler:
    """Who acknowledged or closed an alarm."""

    name: str  # a full-name snapshot (Alarm.acknowledged_by)
    first_name: str
    role: str  # a handler role (alerts.models.HANDLER_ROLES); "" unknown
    key: str = ""  # their recipient key on the alarm ("" staff, or nobody the alarm messaged)


def alarm_handler(*, alarm: Alarm, attempt: NotificationAttempt | None = None, user: User | None = None) -> Handler:
    """The handler behind an acknowledgement or a resolution: a recipient (by the attempt their link or reply
    named), or a signed-in user (the alarm's custodian, else staff)."""
    if attempt is not None:
        name = attempt.recipient_name
        # "Dr. Ruiz" stays whole; anyone else is named by their first name.
        first = name if attempt.recipient_kind == RecipientKind.DOCTOR else (name.split() or [""])[0]
        return Handler(name=name, first_name=first, role=attempt.recipient_kind, key=attempt.recipient_key)
    if user is not None:
        name = user.get_full_name() or user.get_username()
        first = user.first_name or (name.split() or [""])[0]
        # Any custodian of the household handles the alarm as a custodian.
        ship = alarm.subject.custodianships.filter(custodian__user=user).first()
        if ship is not None:
            return Handler(
                name=name, first_name=first, role=RecipientKind.CUSTODIAN, key=f"custodian:{ship.custodian_id}"
            )
        if user_is_staff(user):
            return Handler(name=name, first_name=first, role=HANDLER_STAFF)
    return Handler(name="", first_name="", role="")


def handler_text(*, first_name: str, role: str, language: str) -> str:
    """ "Ana (a family member)", "Ana (un familiar)": in the recipient's language."""
    with translation.override(language):
        named = role_name(role)
    return f"{first_name} ({named})" if first_name else named


def alarm_acknowledged_tell(*, alarm_id: int, handler: Handler) -> list[int]:
    """Tell every recipient already messaged about the alarm, but the one who acknowledged, who is handling it."""
    people = [a for a in _recipients_messaged(alarm_id) if a.recipient_key != handler.key]
    return _notices_write(alarm_id=alarm_id, kind=ACKNOWLEDGED, handler=handler, attempts=people)


def alarm_resolved_tell(*, alarm_id: int, handler: Handler) -> list[int]:
    """Tell everyone the alarm concerned that it is closed: every recipient messaged (but whoever closed it) and
    each finder who reported by text or left a number (once per number)."""
    people = [a for a in _recipients_messaged(alarm_id) if a.recipient_key != handler.key]
    written = _notices_write(alarm_id=alarm_id, kind=RESOLVED, handler=handler, attempts=people)
    return written + _finder_notices_write(alarm_id=alarm_id)


def _recipients_messaged(alarm_id: int) -> list[NotificationAttempt]:
    """One row per recipient something went out to: the latest that reached them, else the latest sent."""
    chosen: dict[str, NotificationAttempt] = {}
    rows = NotificationAttempt.objects.filter(MESSAGED, alarm_id=alarm_id).order_by("created_at", "pk")
    for row in rows:
        best = chosen.get(row.recipient_key)
        if best is None or row.status in SUCCESS or best.status not in SUCCESS:
            chosen[row.recipient_key] = row
    return list(chosen.values())


def _notices_write(*, alarm_id: int, kind: str, handler: Handler, attempts: Iterable[NotificationAttempt]) -> list[int]:
    written = []
    with transaction.atomic():
        for attempt in attempts:
            notice, created = AlarmNotice.objects.get_or_create(
                alarm_id=alarm_id,
                kind=kind,
                recipient_key=attempt.recipient_key,
                defaults={
                    "attempt": attempt,
                    "recipient_name": attempt.recipient_name,
                    "language": attempt.language,
                    "handler_name": handler.first_name[:150],
                    "handler_role": handler.role,
                },
            )
            if created:
                written.append(notice.pk)
                transaction.on_commit(partial(notice_enqueue, notice_id=notice.pk))
    log.info("alarm id=%s %s notices=%s", alarm_id, kind.lower(), written)
    return written


def _finder_notices_write(*, alarm_id: int) -> list[int]:
    reports: list[tuple[Alarm | ScanEvent, ScanEvent | None]] = []
    alarm = Alarm.objects.get(pk=alarm_id)
    reports.append((alarm, None))
    reports += [(event, event) for event in ScanEvent.objects.filter(alarm_id=alarm_id).order_by("timestamp", "pk")]
    written = []
    with transaction.atomic():
        for report, event in reports:
            phone = (report.finder_phone or "").strip()
            if not phone:
                continue
            notice, created = AlarmNotice.objects.get_or_create(
                alarm_id=alarm_id,
                kind=RESOLVED_FINDER,
                recipient_key=f"finder:{address_hash(phone)[:32]}",
                defaults={"scan_event": event, "recipient_name": "", "language": _finder_language(phone)},
            )
            if created:
                written.append(notice.pk)
                transaction.on_commit(partial(notice_enqueue, notice_id=notice.pk))
    return written


def _finder_language(phone: str) -> str:
    """A finder's language is not stored with their report: their number's country decides, as for a texted
    report's answer (reports.sms_language; imported here, as reports needs alarms, which needs this module)."""
    from .reports import sms_language

    return sms_language(word_language="", sender=phone)


def notice_enqueue(*, notice_id: int) -> bool:
    from ..tasks import send_notice

    return publish_safely(send_notice, args=[notice_id], what=f"notice id={notice_id}")


def notice_send(*, notice_id: int) -> bool:
    """Send one notice, trying the recipient's channels in messaging's order. Claimed first, so it goes once;
    a send the provider may have taken (uncertain) is not sent again elsewhere."""
    claimed = row_claim(
        AlarmNotice,
        notice_id,
        "alarm__subject__custodian__user",
        "attempt__contact",
        "attempt__custodian",
        "scan_event",
    )
    if claimed is None:
        return False
    notice, now = claimed
    phone, email, preferred, tried = _reach(notice)
    finder = notice.kind == RESOLVED_FINDER
    context = _context(notice)

    return claimed_row_text(
        notice,
        claimed_at=now,
        compose=partial(
            message_compose,
            kind=notice.kind,
            language=notice.language,
            context=context,
            # A finder's number stays out of the family's message log.
            owner=None if finder else notice.alarm.subject.custodian.user,
            recipient_name=notice.recipient_name,
        ),
        preferred=preferred,
        phone=phone,
        email=email,
        tried=tried,
        label=f"notice id={notice.pk} alarm={notice.alarm_id} kind={notice.kind}",
    )


_Row = TypeVar("_Row", AlarmNotice, RelayMessage)


class Compose(Protocol):
    """messaging's message_compose for one reader, waiting for the channel and the address to try."""

    def __call__(self, *, channel: str, to: str) -> Message: ...


def row_claim(model: type[_Row], pk: int, *related: str) -> tuple[_Row, datetime] | None:
    """Claim a row to send (a notice, a relayed message): PENDING to PROCESSING in one conditional update, so a
    redelivered task or a second worker finds nothing to do. The row with `related` loaded, and when it was
    claimed (the sweeper's lease); None when it was not pending."""
    now = timezone.now()
    if not model.objects.filter(pk=pk, status=NoticeStatus.PENDING).update(
        status=NoticeStatus.PROCESSING, claimed_at=now
    ):
        return None
    return model.objects.select_related(*related).get(pk=pk), now


def claimed_row_text(
    row: AlarmNotice | RelayMessage,
    *,
    claimed_at: datetime,
    compose: Compose,
    preferred: str | None,
    phone: str,
    email: str,
    tried: set[str] | None = None,
    label: str,
) -> bool:
    """Text a row a worker has claimed (a notice, a relayed message) on the reader's first channel that takes
    it, recording the message and channel on the row before each try and its outcome after. An uncertain send
    (the provider may have it) counts as sent, never sent again elsewhere. `compose` is message_compose with
    all but the channel and address given (a partial)."""
    model = type(row)

    def compose_recorded(channel: str, to: str) -> Message:
        message = compose(channel=channel, to=to)
        model.objects.filter(pk=row.pk).update(message=message, channel=channel)
        return message

    reached = message_send_first(
        compose=compose_recorded, preferred=preferred, phone=phone, email=email, tried=tried, label=label
    )
    if reached.message is None:
        model.objects.filter(pk=row.pk).update(status=NoticeStatus.FAILED, error=reached.error)
        return False
    sent_at = claimed_at if reached.uncertain else timezone.now()
    model.objects.filter(pk=row.pk).update(status=NoticeStatus.SENT, error=reached.error, sent_at=sent_at)
    return True


def _reach(notice: AlarmNotice) -> tuple[str, str, str | None, set[str]]:
    """(phone, email, preferred family, channels not to try) for the notice's recipient, read now."""
    if notice.kind == RESOLVED_FINDER:
        report: Alarm | ScanEvent = notice.scan_event or notice.alarm
        preferred = ContactChannel.SMS if report.source == AlarmSource.SMS else None
        return report.finder_phone.strip(), "", preferred, set()
    attempt = notice.attempt
    if attempt is None:
        return "", "", None, set()
    attempt.alarm = notice.alarm
    phone, email = rec.attempt_addresses(attempt)
    # The channels that already failed this recipient on this alarm are not tried again.
    failed = NotificationAttempt.objects.filter(
        alarm_id=notice.alarm_id, recipient_key=notice.recipient_key, status__in=ENDED_UNREACHED
    ).values_list("channel", flat=True)
    return phone, email, rec.attempt_preferred(attempt), set(failed)


def _context(notice: AlarmNotice) -> dict[str, object]:
    alarm = notice.alarm
    when = date_format(timezone.localtime(alarm.timestamp), "Y-m-d H:i")
    if notice.kind == RESOLVED_FINDER:
        return {"timestamp": when}  # nothing that names anyone
    return {
        "subject_name": alarm.subject.first_name,
        "timestamp": when,
        "handler": handler_text(first_name=notice.handler_name, role=notice.handler_role, language=notice.language),
    }


def notices_sweep(*, older_than: int = 60) -> list[int]:
    """Notices whose task was lost (broker down, worker killed before sending): queue them again, for a day."""
    return claimed_rows_sweep(AlarmNotice, older_than=older_than, enqueue=lambda pk: notice_enqueue(notice_id=pk))


def claimed_rows_sweep(
    model: type[AlarmNotice | RelayMessage], *, older_than: int, enqueue: Callable[[int], object]
) -> list[int]:
    """The sweep of a row a worker claims before texting it (a notice, a relayed message): one claimed by a
    worker that died before its message went out is put back first, then every row still pending is queued
    again, for a day."""
    lease = timezone.now() - timedelta(seconds=settings.KERYU_PROCESSING_LEASE_SECONDS)
    stuck = model.objects.filter(status=NoticeStatus.PROCESSING, claimed_at__lt=lease).filter(
        Q(message__isnull=True) | Q(message__status=MessageStatus.PENDING, message__provider_message_id=None)
    )
    for pk, claimed_at in stuck.values_list("pk", "claimed_at")[:BATCH]:
        model.objects.filter(pk=pk, status=NoticeStatus.PROCESSING, claimed_at=claimed_at).update(
            status=NoticeStatus.PENDING, message=None
        )
    return requeue_waiting(
        model.objects.filter(status=NoticeStatus.PENDING), since="created_at", older_than=older_than, enqueue=enqueue
    )
