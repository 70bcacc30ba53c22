"""An alarm's roll-up delivery status: derived from its attempts, written here and nowhere else.

Every service that changes what an alarm's attempts say (a row written, sent, answered by a receipt, failed
with no channel left, re-queued, released) calls `alarm_status_refresh` once the change is in. The alarm
row is locked while its attempts are read, so of two refreshes racing the later one writes what both saw.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import ATTEMPT_SUCCESS, Alarm, NotificationAttempt, NotificationStatus, RecipientKind
from .staff import staff_alert

log = logging.getLogger(__name__)

# Someone was reached, best first: the alarm carries the best any attempt got to.
REACHED = (NotificationStatus.READ, NotificationStatus.DELIVERED, NotificationStatus.SENT)
SUCCESS = ATTEMPT_SUCCESS
# Still in flight: the alarm has not failed while one of these may reach someone (UNCERTAIN: a receipt may come).
OPEN = (NotificationStatus.PENDING, NotificationStatus.PROCESSING, NotificationStatus.UNCERTAIN)
# Ended without reaching the recipient on that channel.
ENDED_UNREACHED = (
    NotificationStatus.FAILED,
    NotificationStatus.ERROR,
    NotificationStatus.UNDELIVERED,
    NotificationStatus.UNCONFIRMED,
)
EVERY_CHANNEL_FAILED = "Every channel failed."
NOBODY_REACHABLE = "No reachable recipient."
# "The family": an alarm's custodians (a TEST alarm's: whoever pressed the button).
FAMILY = (RecipientKind.CUSTODIAN, RecipientKind.TRIGGER)


@dataclass(frozen=True)
class AlarmStatus:
    status: str
    sent: bool
    error: str


def scheduled(now: datetime) -> Q:
    """A row waiting for its escalation time (not a retry's backoff): not in flight yet."""
    return Q(status=NotificationStatus.PENDING, retry_count=0, not_before__gt=now)


def alarm_status_derive(*, alarm_id: int, now: datetime | None = None) -> AlarmStatus:
    """What the attempts say, in one query: the best reached state; else PENDING while one is in flight (or
    only scheduled rows wait); else FAILED (every channel failed, or nobody had a channel at all)."""
    now = now or timezone.now()
    in_flight = Q(status__in=OPEN) & ~scheduled(now)
    counts = NotificationAttempt.objects.filter(alarm_id=alarm_id).aggregate(
        total=Count("pk"),
        in_flight=Count("pk", filter=in_flight),
        ended_unreached=Count("pk", filter=Q(status__in=ENDED_UNREACHED)),
        ever_sent=Count("pk", filter=Q(sent_at__isnull=False) | Q(status__in=SUCCESS)),
        **{status: Count("pk", filter=Q(status=status)) for status in REACHED},
    )
    sent = counts["ever_sent"] > 0
    for status in REACHED:
        if counts[status]:
            return AlarmStatus(status, True, "")
    if counts["in_flight"] or (counts["total"] and not counts["ended_unreached"]):
        return AlarmStatus(NotificationStatus.PENDING, sent, "")
    error = EVERY_CHANNEL_FAILED if counts["total"] else NOBODY_REACHABLE
    return AlarmStatus(NotificationStatus.FAILED, sent, error)


def family_unreached(rows: Iterable[tuple[str, str, int]]) -> bool:
    """Every channel of every custodian failed: of the alarm's rows, as (recipient_kind, status, update_seq), no
    row for the family ever reached them, and none of the alarm's own messages to them may still (in flight,
    retrying, waiting for a receipt). An update still going to them does not count as hope: it goes on a
    channel that already failed them. No row for the family at all (no custodian had a channel) is unreached.
    """
    rows = list(rows)
    reached = any(kind in FAMILY and status in SUCCESS for kind, status, _ in rows)
    trying = any(kind in FAMILY and status in OPEN and seq == 0 for kind, status, seq in rows)
    return not (reached or trying)


def alarm_status_refresh(*, alarm_id: int) -> str:
    """Write the alarm's roll-up from its attempts; returns the status. The family becoming unreachable (every
    channel of every custodian failed) alerts staff, once per alarm (ids only)."""
    with transaction.atomic():
        current = (
            Alarm.objects.select_for_update()
            .filter(pk=alarm_id)
            .values_list("notification_status", "notification_sent", "notification_error")
            .first()
        )
        if current is None:
            return ""
        derived = alarm_status_derive(alarm_id=alarm_id)
        if (derived.status, derived.sent, derived.error) != current:
            Alarm.objects.filter(pk=alarm_id).update(
                notification_status=derived.status, notification_sent=derived.sent, notification_error=derived.error
            )
    _staff_alert_once(alarm_id=alarm_id, derived=derived)
    return derived.status


def alarm_status_sent(*, alarm_id: int) -> None:
    """The roll-up after one of the alarm's rows was sent, in one statement instead of a refresh's four: the
    best state reached is now at least SENT, so an alarm at SENT, DELIVERED or READ keeps what it says and any
    other moves to SENT (what alarm_status_derive would answer). A send never makes the family unreachable (the
    staff alert's condition). The update takes the alarm row's lock as alarm_status_refresh does, so a refresh
    racing it still writes what it saw after it."""
    Alarm.objects.filter(pk=alarm_id).exclude(notification_status__in=REACHED).update(
        notification_status=NotificationStatus.SENT, notification_sent=True, notification_error=""
    )


def _staff_alert_once(*, alarm_id: int, derived: AlarmStatus) -> None:
    """Staff hear once per alarm (claimed by `staff_alerted_at`) that it needs a human: nobody has acknowledged
    it and the family cannot be reached. The finder's page says so (alerts.services.finder_state), so it must be
    true by the time the attempts say it. Ids only in the text."""
    rows = NotificationAttempt.objects.filter(alarm_id=alarm_id).values_list("recipient_kind", "status", "update_seq")
    if not family_unreached(rows):
        return
    if not Alarm.objects.filter(
        pk=alarm_id, staff_alerted_at__isnull=True, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(staff_alerted_at=timezone.now()):
        return
    with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
        if derived.status == NotificationStatus.FAILED and derived.error == EVERY_CHANNEL_FAILED:
            log.error("alarm id=%s: every channel failed", alarm_id)
            subject = _("Keryu: alarm %(id)s reached nobody") % {"id": alarm_id}
            body = _("Every channel failed for alarm %(id)s.") % {"id": alarm_id}
        else:
            log.error("alarm id=%s: the family could not be reached", alarm_id)
            subject = _("Keryu: alarm %(id)s: the family could not be reached") % {"id": alarm_id}
            body = _("Every channel of every custodian failed (or none had one) for alarm %(id)s.") % {"id": alarm_id}
        body = _("%(problem)s Open it in the admin and contact the family directly.") % {"problem": body}
    staff_alert(subject=subject, body=body)
