"""Reports from finders: a scan (web or Phototaker), a text message with a badge's short code (read here,
answered by alerts.services.inbound), the API, and scans of a deactivated code. Every report is stored; it
either raises an alarm or joins the subject's open one."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from core.ratelimit import Verdict, rate_hit
from core.sweeping import requeue_waiting
from registry.models import Custodian, QRCode
from registry.selectors import subject_custodians

from ..models import (
    OPEN_FOR_REPORTS,
    SEVERITY,
    Alarm,
    AlarmSource,
    InactiveCodeScan,
    NotificationAttempt,
    NotificationStatus,
    RecipientKind,
    ScanEvent,
    SituationType,
)
from .alarm_status import SUCCESS, alarm_status_refresh
from .alarms import AlarmAlreadyOpen, alarm_create, alarm_route
from .connection import retry_once_on_connection_error
from .delivery import attempt_enqueue, attempt_for_recipient, enqueue_on_commit, publish_safely
from .recipients import custodian_message_send

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportOutcome:
    alarm: Alarm
    joined: bool  # True: a further report on an open alarm (a ScanEvent), not a new alarm
    upgraded: bool = False  # True: the report was more serious and the alarm now carries its situation
    event: ScanEvent | None = None  # the joined report's own record (what the finder's page follows)


class ReportLimited(Exception):
    """A repeat report over one of the caller's rate limits: not recorded (the family already has the alarm)."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__("repeat report rate-limited")
        self.verdict = verdict


def open_alarm_for(*, qr_code_id: int, now: datetime | None = None) -> Alarm | None:
    """The code's alarm that takes new reports: open (the database allows one) and within the cooldown."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS)
    return Alarm.objects.filter(OPEN_FOR_REPORTS, qr_code_id=qr_code_id, timestamp__gte=since).first()


def is_more_serious(situation_type: str, alarm: Alarm) -> bool:
    return SEVERITY.get(situation_type, 0) > SEVERITY.get(alarm.situation_type, 0)


@dataclass(frozen=True)
class Report:
    """What a finder reports, whichever way it came in: the scan page (web or Phototaker), a texted short code
    or the API. The fields are alerts.models.FinderReport's; report_submit stores them on the alarm the report
    raises, or on the ScanEvent with which it joins the open one."""

    situation_type: str
    description: str = ""
    location: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    source: str = AlarmSource.WEB
    scanner_ip: str | None = None
    scanner_user_agent: str = ""
    finder_name: str = ""
    finder_phone: str = ""
    finder_phone_shared: bool = False  # the finder lets the family see their number (masked by default)

    def row(self) -> dict[str, Any]:
        """The report as FinderReport field values, the user agent (a header of any length) cut to 1,000."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        values["scanner_user_agent"] = self.scanner_user_agent[:1000]
        return values


def report_submit(
    *,
    qr_code: QRCode,
    report: Report,
    triggered_by: User | None = None,
    repeat_limits: Sequence[tuple[str, str]] = (),
) -> ReportOutcome:
    """A finder's report. The first one raises an alarm; later ones within the cooldown join it as scan events
    and the custodians hear about them at most once per KERYU_SCAN_RENOTIFY_SECONDS. A report more serious
    than the open alarm (INJURED after LOST, say) upgrades it in place: one alarm, one thread for the family.
    A TEST (the API's) never joins: it raises its own alarm, which goes only to `triggered_by`.

    `repeat_limits` ((cache key, rate) pairs) apply only to a report that would join the open alarm at no
    greater severity: the first report and a more serious one are never held back. Over a limit: ReportLimited.
    A dropped database connection is retried once (alerts.services.connection); a second drop propagates.
    """
    return retry_once_on_connection_error(
        lambda: _report(qr_code=qr_code, report=report, triggered_by=triggered_by, repeat_limits=repeat_limits),
        what="scan report",
    )


def _report(
    *, qr_code: QRCode, report: Report, triggered_by: User | None, repeat_limits: Sequence[tuple[str, str]]
) -> ReportOutcome:
    """Get-or-create on the database's one-open-alarm rule: read the open alarm once; if there is none, insert;
    if the insert loses to a concurrent report (AlarmAlreadyOpen), read again and join the winner's alarm."""
    now = timezone.now()
    is_test = report.situation_type == SituationType.TEST
    # One read: the code's alarm open for reports (the database allows one), fresh or past the cooldown.
    latest = None if is_test else Alarm.objects.filter(OPEN_FOR_REPORTS, qr_code_id=qr_code.pk).first()
    since = now - timedelta(seconds=settings.KERYU_SCAN_COOLDOWN_SECONDS)
    open_alarm = latest if latest is not None and latest.timestamp >= since else None
    close_stale = latest is not None and open_alarm is None  # alarm_create closes it in its transaction
    if open_alarm is not None and not is_more_serious(report.situation_type, open_alarm):
        for key, rate in repeat_limits:
            verdict = rate_hit(key=key, rate=rate)
            if not verdict.allowed:
                raise ReportLimited(verdict)
    for _ in range(3):
        if open_alarm is not None:
            return _report_join(alarm=open_alarm, report=report, now=now)
        try:
            alarm = alarm_create(
                qr_code=qr_code,
                is_phototaker=report.source == AlarmSource.PHOTOTAKER,
                triggered_by=triggered_by,
                close_stale=close_stale,
                **report.row(),
            )
        except AlarmAlreadyOpen:
            # Lost the race: the winner's alarm is committed (the unique index waited for it), so it is seen now.
            log.info("report lost the race for qr_code=%s; joining the open alarm", qr_code.pk)
            open_alarm = open_alarm_for(qr_code_id=qr_code.pk, now=timezone.now())
            close_stale = True  # whatever is there now, alarm_create's own UPDATE settles it
            continue
        return ReportOutcome(alarm=alarm, joined=False)
    raise AlarmAlreadyOpen  # the open alarm kept closing under us: vanishingly rare; the finder resubmits


def _report_join(*, alarm: Alarm, report: Report, now: datetime) -> ReportOutcome:
    """Record the report on the open alarm, upgrade it when the report is more serious, and schedule the
    family's update, all in one transaction.

    The upgrade is a conditional update (only from a less serious situation), so of two INJURED reports racing
    on a LOST alarm one upgrades it and runs INJURED's routing (alarms.alarm_route: contacts and doctor at once,
    nobody given a second first message); the other joins. The custodians (and anyone already reached) get an
    update at once, in the alarm's thread, saying what is happening now, rather than a second alarm.
    """
    situation_type = report.situation_type
    less_serious = [s for s, level in SEVERITY.items() if level < SEVERITY.get(situation_type, 0)]
    with transaction.atomic():
        event = ScanEvent.objects.create(alarm=alarm, timestamp=now, **report.row())
        Alarm.objects.filter(pk=alarm.pk).update(report_count=F("report_count") + 1)
        upgraded = bool(
            less_serious
            and Alarm.objects.filter(pk=alarm.pk, situation_type__in=less_serious).update(situation_type=situation_type)
        )
        if upgraded:
            alarm.refresh_from_db()
            routed = alarm_route(alarm=alarm, now=now)
            log.info("alarm id=%s upgraded to %s by event=%s attempts=%s", alarm.pk, situation_type, event.pk, routed)
        update_schedule(alarm_id=alarm.pk, now=now, at_once=upgraded)
    log.info("report joined alarm id=%s event=%s situation=%s", alarm.pk, event.pk, situation_type)
    return ReportOutcome(alarm=alarm, joined=True, upgraded=upgraded, event=event)


def update_schedule(*, alarm_id: int, now: datetime | None = None, at_once: bool = False) -> list[int]:
    """Tell the alarm's custodians (and whoever else it reached) about the latest report.

    At most once per interval: the update goes now if the last one went at least an interval ago, else it is
    scheduled for then. An update already scheduled will carry this report too (its text is written when it
    is sent), so nothing more is scheduled. The claim is a conditional update of `update_count`, so two
    reports arriving together schedule one update. `at_once` (an upgrade: the subject is now injured) skips
    the interval: a scheduled update is brought forward to now, else one goes now.
    """
    now = now or timezone.now()
    alarm = Alarm.objects.only("pk", "timestamp", "update_count", "update_notified_at").get(pk=alarm_id)
    seq = alarm.update_count
    scheduled = NotificationAttempt.objects.filter(
        alarm_id=alarm_id, update_seq=seq, status=NotificationStatus.PENDING, not_before__gt=now
    )
    if seq and scheduled.exists():
        return _update_bring_forward(alarm_id=alarm_id, scheduled=scheduled, now=now) if at_once else []
    last = alarm.update_notified_at or alarm.timestamp
    due = now if at_once else max(now, last + timedelta(seconds=settings.KERYU_SCAN_RENOTIFY_SECONDS))
    recipients = _update_recipients(alarm_id)
    if not recipients:
        return []
    created: list[int] = []
    with transaction.atomic():
        if not Alarm.objects.filter(pk=alarm_id, update_count=seq).update(update_count=seq + 1, update_notified_at=due):
            return []
        for source, channel in recipients:
            attempt = attempt_for_recipient(
                source, channel=channel, wave=0, update_seq=seq + 1, not_before=due if due > now else None
            )
            created.append(attempt.pk)
        countdown = (due - now).total_seconds() if due > now else None
        for pk in created:
            transaction.on_commit(partial(attempt_enqueue, attempt_id=pk, countdown=countdown))
        alarm_status_refresh(alarm_id=alarm_id)
    log.info(
        "alarm id=%s update %s scheduled in %.0fs attempts=%s", alarm_id, seq + 1, (due - now).total_seconds(), created
    )
    return created


def _update_bring_forward(*, alarm_id: int, scheduled: QuerySet[NotificationAttempt], now: datetime) -> list[int]:
    released = []
    with transaction.atomic():
        for pk, not_before in scheduled.values_list("pk", "not_before"):
            if NotificationAttempt.objects.filter(
                pk=pk, status=NotificationStatus.PENDING, not_before=not_before
            ).update(not_before=None, updated_at=now):
                released.append(pk)
                enqueue_on_commit(pk)
        if released:
            Alarm.objects.filter(pk=alarm_id).update(update_notified_at=now)
            alarm_status_refresh(alarm_id=alarm_id)
    log.info("alarm id=%s scheduled update brought forward attempts=%s", alarm_id, released)
    return released


def _update_recipients(alarm_id: int) -> list[tuple[NotificationAttempt, str]]:
    """Each custodian of the alarm, and anyone else it already reached, on the channel that last worked for
    them (else the first one tried)."""
    rows = NotificationAttempt.objects.filter(alarm_id=alarm_id, update_seq=0).order_by("created_at", "pk")
    chosen: dict[str, tuple[NotificationAttempt, str]] = {}
    for row in rows:
        reached = row.status in SUCCESS
        if row.recipient_kind != RecipientKind.CUSTODIAN and not reached:
            continue
        if row.recipient_key not in chosen or reached:
            chosen[row.recipient_key] = (row, row.channel)
    return list(chosen.values())


# --- Deactivated codes ---------------------------------------------------------------------------


def inactive_scan_record(
    *, qr_code: QRCode, scanner_ip: str | None = None, scanner_user_agent: str = "", source: str = AlarmSource.WEB
) -> InactiveCodeScan:
    """Log a scan of a deactivated code; its custodian is told, at most once per interval per code."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.KERYU_INACTIVE_SCAN_NOTIFY_SECONDS)
    recent = InactiveCodeScan.objects.filter(qr_code=qr_code, notify=True, timestamp__gte=since).exists()
    scan = InactiveCodeScan.objects.create(
        qr_code=qr_code,
        timestamp=now,
        scanner_ip=scanner_ip,
        scanner_user_agent=scanner_user_agent[:1000],
        source=source,
        notify=not recent,
    )
    log.warning("deactivated code scanned qr_code=%s scan=%s notify=%s", qr_code.pk, scan.pk, scan.notify)
    if scan.notify:
        transaction.on_commit(lambda: inactive_scan_enqueue(scan_id=scan.pk))
    return scan


def inactive_scan_enqueue(*, scan_id: int) -> bool:
    from ..tasks import notify_inactive_scan

    return publish_safely(notify_inactive_scan, args=[scan_id], what=f"inactive scan id={scan_id}")


def inactive_scan_notify(*, scan_id: int) -> bool:
    """Send every custodian of the household the notice, each on their channels in order. Claimed first, so it
    goes once; it counts as told when it reached at least one custodian."""
    now = timezone.now()
    if not InactiveCodeScan.objects.filter(pk=scan_id, notify=True, notified_at__isnull=True).update(notified_at=now):
        return False
    scan = InactiveCodeScan.objects.select_related("qr_code__subject__custodian__user").get(pk=scan_id)
    subject = scan.qr_code.subject
    context = {
        "subject_name": subject.first_name,
        "timestamp": date_format(timezone.localtime(scan.timestamp), "Y-m-d H:i"),
    }
    first_channel = None
    for custodian in subject_custodians(subject) or [subject.custodian]:
        channel = _inactive_scan_notice_send(scan_id=scan_id, custodian=custodian, context=context)
        first_channel = first_channel or channel
    if first_channel is not None:
        InactiveCodeScan.objects.filter(pk=scan_id).update(notified_channel=first_channel)
        return True
    # Nothing went out: release the claim so the sweeper tries again later.
    InactiveCodeScan.objects.filter(pk=scan_id).update(notified_at=None)
    return False


def _inactive_scan_notice_send(*, scan_id: int, custodian: Custodian, context: dict[str, str]) -> str | None:
    """The notice to one custodian, trying their channels in order; the channel that took it, or None."""
    reached = custodian_message_send(
        custodian=custodian,
        kind="INACTIVE_SCAN",
        context=context,
        label=f"inactive scan notice id={scan_id} custodian={custodian.pk}",
    )
    return reached.channel if reached.message is not None else None


def inactive_scans_sweep(*, older_than: int = 60) -> list[int]:
    """Notices whose task was lost (broker down) or failed on every channel: queue them again, for a day."""
    return requeue_waiting(
        InactiveCodeScan.objects.filter(notify=True, notified_at__isnull=True),
        since="timestamp",
        older_than=older_than,
        enqueue=lambda pk: inactive_scan_enqueue(scan_id=pk),
    )


# --- SMS short codes -----------------------------------------------------------------------------

SMS_REPORT = re.compile(r"^\s*(?:keryu\s+)?([0-9a-f]{8})\b[\s.,:;!-]*([^\W\d_]+)?[\s\S]*$", re.IGNORECASE)
SMS_WORDS: dict[str, tuple[str, str]] = {
    # word -> (situation, language of the reply)
    "lost": ("LOST", "en"),
    "found": ("LOST", "en"),
    "hurt": ("INJURED", "en"),
    "injured": ("INJURED", "en"),
    "help": ("INJURED", "en"),
    "contact": ("CONTACT", "en"),
    "call": ("CONTACT", "en"),
    "perdido": ("LOST", "es"),
    "perdida": ("LOST", "es"),
    "extraviado": ("LOST", "es"),
    "extraviada": ("LOST", "es"),
    "herido": ("INJURED", "es"),
    "herida": ("INJURED", "es"),
    "lesionado": ("INJURED", "es"),
    "lesionada": ("INJURED", "es"),
    "ayuda": ("INJURED", "es"),
    "contacto": ("CONTACT", "es"),
    "llamar": ("CONTACT", "es"),
}


@dataclass(frozen=True)
class SmsReport:
    code: str
    situation: str
    language: str
    word: str


def sms_report_parse(body: str) -> SmsReport | None:
    """ "8F3A2B1C", "8f3a2b1c hurt", "8F3A2B1C PERDIDO en el parque": a short code, optionally a word."""
    match = SMS_REPORT.match(body or "")
    if match is None:
        return None
    word = (match.group(2) or "").lower()
    situation, language = SMS_WORDS.get(word, ("LOST", ""))
    return SmsReport(code=match.group(1).upper(), situation=situation, language=language, word=word)


SPANISH_SPEAKING = frozenset("MX ES AR CO PE VE CL EC GT CU BO DO HN PY SV NI CR PA UY PR GQ".split())


def sms_language(*, word_language: str, sender: str) -> str:
    """The word's language; else Spanish for a number from a Spanish-speaking country; else the site's."""
    if word_language:
        return word_language
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(sender, None))
    except phonenumbers.NumberParseException:
        region = ""
    if region in SPANISH_SPEAKING:
        return "es"
    return "es" if settings.LANGUAGE_CODE.startswith("es") else "en"
