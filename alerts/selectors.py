"""Reads for alerts, including the one place that says which alarms a user may see."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, IntegerField, Min, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext

from core.roles import scope_to_owner
from messaging.channels import channel_family, failover_reason
from messaging.models import Channel
from registry.selectors import SUBJECT_CUSTODIAN_USER, qr_codes_visible_to

from .filters import AlarmListFilter
from .models import (
    ATTEMPT_SUCCESS,
    RELAY_PAGE_ONLY,
    SEVERITY,
    Alarm,
    AlarmNote,
    InactiveCodeScan,
    NoticeStatus,
    NotificationAttempt,
    NotificationStatus,
    RecipientKind,
    RelayDirection,
    RelayMessage,
    ScanEvent,
    SituationType,
    StaffEscalation,
    no_receipt_text,
)

if TYPE_CHECKING:
    from core.roles import RequestUser

    from .models import ReachabilityCheck


def alarms_visible_to(user: RequestUser) -> QuerySet[Alarm]:
    """A custodian's alarms, those of archived subjects included: the history is theirs and an open alarm must
    stay reachable to be resolved."""
    alarms = Alarm.objects.select_related("subject", "qr_code")
    return scope_to_owner(alarms, user, owner=f"subject__{SUBJECT_CUSTODIAN_USER}")


def alarms_filtered(user: RequestUser, params: Mapping[str, str]) -> QuerySet[Alarm]:
    """The admin list's rows for `params` (its query string), newest first: its exports and statistics.

    The list's own filter set and the list's own rule (Wagtail's): a query the filter form refuses filters
    nothing, and the form says why. An id out of scope is not refused: it matches nothing.
    """
    alarms = alarms_visible_to(user)
    filters = AlarmListFilter(params, queryset=alarms)
    if filters.is_valid():
        alarms = filters.filter_queryset(alarms)
    return alarms.order_by("-timestamp")


def attempts_for_alarm(*, alarm: Alarm) -> QuerySet[NotificationAttempt]:
    return alarm.attempts.select_related("message").order_by("created_at")


# How an alarm was acknowledged, or how a relayed message came in, in the reader's words (stored as a key).
VIA_NAMES = {
    "admin": _lazy("the console"),
    "link": _lazy("the message's link"),
    "web": _lazy("the web page"),
    "reply": _lazy("a reply to the message"),
    "staff": _lazy("Keryu staff"),
    "sms": "SMS",
    "whatsapp": "WhatsApp",
}


def via_name(value: str) -> str:
    return str(VIA_NAMES.get(value, value))


def channel_name(key: str) -> str:
    """A channel's label (messaging's catalogue, in the reader's language) instead of its key."""
    return str(dict(Channel.choices).get(key, key)) if key else key


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    text: str


def alarm_timeline(*, alarm: Alarm) -> list[TimelineEntry]:
    """Scans of the same code around this alarm, attempts and their message statuses, ack and resolution.

    The texts are built in the active language (the viewer's, per request): call it while rendering."""
    first = SituationType(alarm.first_situation_type or alarm.situation_type)
    entries = [TimelineEntry(alarm.timestamp, "scan", _("Scan: %(situation)s") % {"situation": first.label})]
    if alarm.qr_code_id:
        window = (alarm.timestamp - timedelta(hours=6), alarm.timestamp + timedelta(hours=6))
        for other in Alarm.objects.filter(qr_code_id=alarm.qr_code_id, timestamp__range=window).exclude(pk=alarm.pk):
            text = _("Other scan: %(situation)s") % {"situation": other.get_situation_type_display()}
            entries.append(TimelineEntry(other.timestamp, "scan", text))
    for event in alarm.scan_events.all():
        report = {"source": event.get_source_display(), "situation": event.get_situation_type_display()}
        if event.location:
            text = _("Further report (%(source)s): %(situation)s at %(place)s") % {**report, "place": event.location}
        elif event.latitude is not None:
            text = _("Further report (%(source)s): %(situation)s with GPS") % report
        else:
            text = _("Further report (%(source)s): %(situation)s") % report
        entries.append(TimelineEntry(event.timestamp, "scan", text))
    for attempt in attempts_for_alarm(alarm=alarm):
        who = attempt.recipient_name or attempt.get_recipient_kind_display()
        if attempt.update_seq:
            who = _("%(who)s (update %(seq)s)") % {"who": who, "seq": attempt.update_seq}

        def went(state: str, attempt: NotificationAttempt = attempt, who: str = who) -> str:
            return _("%(who)s via %(channel)s: %(state)s") % {
                "who": who,
                "channel": channel_name(attempt.channel),
                "state": state,
            }

        status = attempt.get_status_display()
        entries.append(TimelineEntry(attempt.created_at, "attempt", went(pgettext("attempt", "queued"))))
        if attempt.not_before and attempt.status in (NotificationStatus.PENDING, NotificationStatus.CANCELLED):
            entries.append(TimelineEntry(attempt.not_before, "attempt", went(status)))
        if attempt.sent_at:
            entries.append(TimelineEntry(attempt.sent_at, "attempt", went(pgettext("attempt", "sent"))))
        if attempt.delivered_at:
            entries.append(TimelineEntry(attempt.delivered_at, "attempt", went(status.lower())))
        if attempt.status in (NotificationStatus.FAILED, NotificationStatus.UNDELIVERED, NotificationStatus.ERROR):
            reason = failover_reason(attempt.message.error_code) if attempt.message is not None else ""
            state = (
                _("%(status)s (%(reason)s)") % {"status": status.lower(), "reason": reason}
                if reason
                else status.lower()
            )
            entries.append(TimelineEntry(attempt.updated_at, "failure", went(state)))
        elif (no_receipt := no_receipt_text(attempt.error)) is not None:
            entries.append(TimelineEntry(attempt.updated_at, "failure", went(no_receipt)))
    for escalation in alarm.staff_escalations.all():
        stage = escalation.get_stage_display()
        if escalation.notified_at:
            text = _("Handed to Keryu staff: %(stage)s; %(count)s staff told") % {
                "stage": stage,
                "count": escalation.staff_told,
            }
        else:
            text = _("Handed to Keryu staff: %(stage)s") % {"stage": stage}
        entries.append(TimelineEntry(escalation.created_at, "staff", text))
    if alarm.emergency_called_at:
        text = _("Emergency services called by %(name)s (staff)") % {"name": alarm.emergency_called_by}
        entries.append(TimelineEntry(alarm.emergency_called_at, "staff", text))
    if alarm.acknowledged_at:
        by = alarm.acknowledged_by or _("a recipient")
        text = _("Acknowledged by %(name)s (%(via)s)") % {"name": by, "via": via_name(alarm.acknowledged_via)}
        entries.append(TimelineEntry(alarm.acknowledged_at, "ack", text))
    if alarm.staff_alerted_at:
        text = _("The family could not be reached: staff alerted")
        entries.append(TimelineEntry(alarm.staff_alerted_at, "failure", text))
    if alarm.resolved_at:
        entries.append(TimelineEntry(alarm.resolved_at, "resolved", _("Resolved")))
    entries += _notice_entries(alarm)
    entries += _relay_entries(alarm)
    return sorted(entries, key=lambda e: e.at)


def alarms_open_for_custodian(user: RequestUser) -> QuerySet[Alarm]:
    """The console's first panel: the user's own open alarms (not resolved), the unacknowledged ones first,
    then INJURED before LOST before CONTACT, then the newest."""
    severity = Case(
        *[When(situation_type=kind, then=Value(rank)) for kind, rank in SEVERITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    waiting = Case(When(acknowledged_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        alarms_visible_to(user)
        .filter(resolved_at__isnull=True)
        .annotate(waiting=waiting, severity=severity)
        .order_by("waiting", "-severity", "-timestamp", "-pk")
    )


def alarms_unacknowledged_for_staff() -> QuerySet[Alarm]:
    """Keryu staff's queue: alarms handed to staff (INJURED and unacknowledged past the setting, or every round
    of the escalation policy done) that nobody has acknowledged or resolved yet. INJURED first, then the
    longest waiting. For staff only (the Wagtail dashboard and /ops/ show it to staff alone): it spans families."""
    handed = StaffEscalation.objects.filter(alarm=OuterRef("pk"))
    injured_first = Case(
        When(situation_type=SituationType.INJURED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Alarm.objects.filter(Exists(handed), acknowledged_at__isnull=True, resolved_at__isnull=True)
        .select_related("subject")
        .annotate(staff_since=Min("staff_escalations__created_at"), rank=injured_first)
        .order_by("rank", "staff_since", "pk")
    )


NOTICE_WHAT = {
    "ACKNOWLEDGED": _lazy("who is handling it"),
    "RESOLVED": _lazy("it is closed"),
    "RESOLVED_FINDER": _lazy("it is closed"),
}


def relay_messages_for_report(*, alarm: Alarm, scan_event: ScanEvent | None) -> QuerySet[RelayMessage]:
    """One report's conversation (alerts.services.relay), oldest first: what that report's finder may read."""
    return RelayMessage.objects.filter(alarm=alarm, scan_event=scan_event).order_by("created_at", "pk")


def relay_messages_for_alarm(*, alarm: Alarm) -> QuerySet[RelayMessage]:
    """Every conversation of the alarm, oldest first: what its recipients and the family's admin read."""
    return RelayMessage.objects.filter(alarm=alarm).select_related("scan_event").order_by("created_at", "pk")


def _relay_role(role: str) -> str:
    """A relay sender's stored role (a recipient kind's key) as its reader's word for it."""
    labels = dict(RecipientKind.choices)
    return str(labels[role]).lower() if role in labels else role


def _relay_entries(alarm: Alarm) -> list[TimelineEntry]:
    """The relayed messages, both ways, with their text (the family's own conversation), how they came in and
    whether a text went out; never a number (a shared one is said to be shared)."""
    entries = []
    for relay in relay_messages_for_alarm(alarm=alarm):
        if relay.scan_event:
            finder = _("finder of the report at %(time)s") % {"time": f"{relay.scan_event.timestamp:%H:%M}"}
        else:
            finder = _("finder")
        if relay.direction == RelayDirection.TO_FINDER:
            role = _relay_role(relay.sender_role)
            who = _("%(name)s (%(role)s) to the %(finder)s") % {
                "name": relay.sender_name or role,
                "role": role,
                "finder": finder,
            }
        else:
            who = _("The %(finder)s to the family") % {"finder": finder}
        shared = _(" (shared their number)") if relay.shared_contact else ""
        sent = {
            NoticeStatus.SENT: _("; texted via %(channel)s") % {"channel": channel_name(relay.channel)},
            NoticeStatus.FAILED: _("; could not be texted"),
            RELAY_PAGE_ONLY: _("; on the page"),
        }.get(relay.status, _("; to be texted"))
        text = _("Message: %(who)s, via %(via)s%(shared)s%(sent)s: %(text)s") % {
            "who": who,
            "via": via_name(relay.via),
            "shared": shared,
            "sent": sent,
            "text": relay.text,
        }
        entries.append(TimelineEntry(relay.created_at, "relay", text))
    return entries


def _notice_entries(alarm: Alarm) -> list[TimelineEntry]:
    """The notices (alerts.services.notices): who was told what, on which channel; never an address."""
    entries = []
    for notice in alarm.notices.all():
        who = notice.recipient_name or (_("the finder") if notice.kind == "RESOLVED_FINDER" else notice.recipient_key)
        what = NOTICE_WHAT.get(notice.kind, notice.kind)
        told = {"who": who, "what": what}
        if notice.status == NoticeStatus.SENT and notice.sent_at:
            text = _("%(who)s told %(what)s via %(channel)s") % {**told, "channel": channel_name(notice.channel)}
            entries.append(TimelineEntry(notice.sent_at, "notice", text))
        elif notice.status == NoticeStatus.FAILED:
            entries.append(TimelineEntry(notice.created_at, "failure", _("%(who)s could not be told %(what)s") % told))
        else:
            entries.append(TimelineEntry(notice.created_at, "notice", _("%(who)s to be told %(what)s") % told))
    return entries


@dataclass
class Statistics:
    per_day: list[tuple[date, int]]
    per_situation: list[tuple[str, int]]
    per_channel: list[tuple[str, int, int]]  # channel, attempts, succeeded
    median_to_delivered: float | None
    median_to_acknowledged: float | None
    total: int


def alarm_statistics(*, alarms: QuerySet[Alarm], days: int = 30) -> Statistics:
    since = timezone.now() - timedelta(days=days)
    recent = alarms.filter(timestamp__gte=since).order_by()
    per_day = [
        (row["day"], row["n"])
        for row in recent.annotate(day=TruncDate("timestamp")).values("day").annotate(n=Count("pk")).order_by("day")
    ]
    labels = dict(SituationType.choices)
    per_situation = [
        (str(labels.get(row["situation_type"], row["situation_type"])), row["n"])
        for row in recent.values("situation_type").annotate(n=Count("pk")).order_by("situation_type")
    ]
    # A cancelled attempt (the alarm was acknowledged before it was due) was never a delivery: not counted.
    attempts = (
        NotificationAttempt.objects.filter(alarm__in=recent.values("pk"))
        .exclude(status=NotificationStatus.CANCELLED)
        .order_by()
    )
    per_channel = [
        (row["channel"], row["n"], row["ok"])
        for row in attempts.values("channel")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(status__in=ATTEMPT_SUCCESS)))
        .order_by("channel")
    ]
    delivered = [
        (d - t).total_seconds()
        for t, d in attempts.filter(delivered_at__isnull=False).values_list("alarm__timestamp", "delivered_at")[:10000]
        if d is not None
    ]
    acked = [
        (a - t).total_seconds()
        for t, a in recent.filter(acknowledged_at__isnull=False).values_list("timestamp", "acknowledged_at")[:10000]
        if a is not None
    ]
    return Statistics(
        per_day=per_day,
        per_situation=per_situation,
        per_channel=per_channel,
        median_to_delivered=statistics.median(delivered) if delivered else None,
        median_to_acknowledged=statistics.median(acked) if acked else None,
        total=recent.count(),
    )


FAILED = (
    NotificationStatus.FAILED,
    NotificationStatus.ERROR,
    NotificationStatus.UNDELIVERED,
    NotificationStatus.UNCONFIRMED,
)


@dataclass(frozen=True)
class ChannelDelivery:
    """One channel over one window, for staff's dashboard: cancelled attempts are not deliveries and not counted."""

    channel: str
    attempts: int
    succeeded: int
    failed: int
    median_to_delivered: float | None  # seconds from the alarm to the message delivered
    median_to_acknowledged: float | None  # seconds from the alarm to its acknowledgement (alarms this channel served)

    @property
    def success_percent(self) -> int:
        return round(100 * self.succeeded / self.attempts) if self.attempts else 0


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def delivery_by_channel(*, hours: int, now: datetime | None = None) -> list[ChannelDelivery]:
    """Delivery success and median times per channel over the last `hours` (every family: staff only)."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    attempts = (
        NotificationAttempt.objects.filter(alarm__timestamp__gte=since)
        .exclude(status=NotificationStatus.CANCELLED)
        .order_by()
    )
    counts = {
        row["channel"]: row
        for row in attempts.values("channel").annotate(
            n=Count("pk"),
            ok=Count("pk", filter=Q(status__in=ATTEMPT_SUCCESS)),
            bad=Count("pk", filter=Q(status__in=FAILED)),
        )
    }
    delivered: dict[str, list[float]] = {}
    for channel, raised, at in attempts.filter(delivered_at__isnull=False).values_list(
        "channel", "alarm__timestamp", "delivered_at"
    )[:20000]:
        if at is not None:
            delivered.setdefault(channel, []).append((at - raised).total_seconds())
    acknowledged: dict[str, list[float]] = {}
    rows = (
        attempts.filter(alarm__acknowledged_at__isnull=False)
        .values_list("channel", "alarm_id", "alarm__timestamp", "alarm__acknowledged_at")
        .distinct()[:20000]
    )
    for channel, _alarm, raised, at in rows:
        if at is not None:
            acknowledged.setdefault(channel, []).append((at - raised).total_seconds())
    return [
        ChannelDelivery(
            channel=channel,
            attempts=row["n"],
            succeeded=row["ok"],
            failed=row["bad"],
            median_to_delivered=_median(delivered.get(channel, [])),
            median_to_acknowledged=_median(acknowledged.get(channel, [])),
        )
        for channel, row in sorted(counts.items())
    ]


def alarms_open_for_staff() -> QuerySet[Alarm]:
    """Every open alarm (every family: staff only), unacknowledged first, INJURED first, the oldest waiting first."""
    severity = Case(
        *[When(situation_type=kind, then=Value(rank)) for kind, rank in SEVERITY.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    waiting = Case(When(acknowledged_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (
        Alarm.objects.filter(resolved_at__isnull=True)
        .exclude(situation_type=SituationType.TEST)
        .select_related("subject")
        .annotate(waiting=waiting, severity=severity)
        .order_by("waiting", "-severity", "timestamp", "pk")
    )


def alarms_failed_delivery(*, hours: int = 24 * 7, now: datetime | None = None) -> QuerySet[Alarm]:
    """Alarms of the last `hours` with at least one failed notification attempt (every family: staff only)."""
    since = (now or timezone.now()) - timedelta(hours=hours)
    failed = NotificationAttempt.objects.filter(alarm=OuterRef("pk"), status__in=FAILED)
    return (
        Alarm.objects.filter(Exists(failed), timestamp__gte=since)
        .select_related("subject")
        .annotate(failures=Count("attempts", filter=Q(attempts__status__in=FAILED)))
        .order_by("-timestamp")
    )


def reachability_checks_visible_to(user: RequestUser) -> QuerySet[ReachabilityCheck]:
    from .models import ReachabilityCheck

    checks = ReachabilityCheck.objects.select_related("contact", "custodian__user")
    return scope_to_owner(checks, user, owner="custodian__user")


def reachability_flags_standing(user: RequestUser, *, limit: int = 20) -> list[ReachabilityCheck]:
    """The drill flags standing now that `user` may see, newest first, one per person and kind of channel (last
    month's flag on the same address is the same news): the custodian's dashboard notice."""
    seen: set[tuple[str, str, str]] = set()
    standing = []
    for check in reachability_checks_visible_to(user).filter(flagged=True).order_by("-created_at")[: limit * 5]:
        key = (check.recipient_kind, check.address_hash or check.recipient_name, channel_family(check.channel))
        if key not in seen:
            seen.add(key)
            standing.append(check)
    return standing[:limit]


def attempts_visible_to(user: RequestUser) -> QuerySet[NotificationAttempt]:
    return NotificationAttempt.objects.filter(alarm__in=alarms_visible_to(user).values("pk"))


def scan_events_visible_to(user: RequestUser) -> QuerySet[ScanEvent]:
    return ScanEvent.objects.filter(alarm__in=alarms_visible_to(user).values("pk"))


def inactive_scans_visible_to(user: RequestUser) -> QuerySet[InactiveCodeScan]:
    return InactiveCodeScan.objects.select_related("qr_code__subject").filter(
        qr_code__in=qr_codes_visible_to(user).values("pk")
    )


def alarm_notes_visible_to(user: RequestUser) -> QuerySet[AlarmNote]:
    """Notes are part of the alarm's record: whoever sees the alarm sees them (the family included)."""
    return AlarmNote.objects.filter(alarm__in=alarms_visible_to(user).values("pk"))


def alarm_note_entries(*, alarm: Alarm) -> list[TimelineEntry]:
    """The alarm's notes as timeline entries (merged with `alarm_timeline` by the inspect view)."""
    return [
        TimelineEntry(n.created_at, "note", _("Note by %(name)s: %(text)s") % {"name": n.author_name, "text": n.text})
        for n in alarm.notes.all()
    ]
