"""What a finder is told about their report: one state, computed (never stored) from the alarm's attempts and
the report's own time, so the scan page, its status JSON and the answers to texted reports all say the same.

received -> family being contacted -> message delivered to a named role -> seen by that role -> acknowledged
-> resolved; and two branches: the family could not be reached (every channel of every custodian failed: staff
were alerted, alarm_status), and, for a report that came in after the alarm was acknowledged, "the family
already knows" (told of this report once an update carrying it went out). A finder is shown only the note
addressed to their report: the acknowledgement's note goes to the reports the acknowledger had in front of
them (those in before the acknowledgement), never to a later finder.

Pure: reads, writes nothing. The texts live with their readers (home for the page, inbound for SMS answers);
the role names, which messages to recipients use too, live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy

from messaging.channels import channel_reports_delivery

from ..models import HANDLER_STAFF, Alarm, NotificationStatus, RecipientKind, ScanEvent
from .alarm_status import SUCCESS, family_unreached


class FinderStep(models.TextChoices):
    RECEIVED = "received", gettext_lazy("Report received")
    CONTACTING = "contacting", gettext_lazy("The family is being contacted")
    DELIVERED = "delivered", gettext_lazy("Message delivered")
    SEEN = "seen", gettext_lazy("Message seen")
    ACKNOWLEDGED = "acknowledged", gettext_lazy("Acknowledged")
    RESOLVED = "resolved", gettext_lazy("Closed")
    UNREACHED = "unreached", gettext_lazy("The family could not be reached yet")
    ALREADY_KNOWN = "already_known", gettext_lazy("The family already knows")


# How each role is named to a finder, and in notices to recipients ("Ana (a family member)").
ROLE_NAMES = {
    RecipientKind.CUSTODIAN: gettext_lazy("a family member"),
    RecipientKind.TRIGGER: gettext_lazy("a family member"),
    RecipientKind.CONTACT: gettext_lazy("an emergency contact"),
    RecipientKind.DOCTOR: gettext_lazy("the doctor"),
    HANDLER_STAFF: gettext_lazy("Keryu's team"),
}
UNKNOWN_ROLE = gettext_lazy("the family")  # an alarm acknowledged before roles were recorded
# When several roles got the message, the one a finder is told about: the family first.
ROLE_ORDER = (RecipientKind.CUSTODIAN, RecipientKind.TRIGGER, RecipientKind.CONTACT, RecipientKind.DOCTOR)


def role_name(role: str) -> str:
    """The role as a finder or a recipient reads it, in the active language."""
    return str(ROLE_NAMES.get(role, UNKNOWN_ROLE))


@dataclass(frozen=True)
class FinderState:
    state: FinderStep
    contacting: bool  # a message about the alarm has gone out (or is going) to someone
    delivered_role: str  # the role a message was delivered to ("" none yet)
    seen_role: str  # the role that read it ("" none, or the channel cannot say)
    acknowledged: bool
    acknowledged_role: str  # a handler role ("" when not recorded: alarms acknowledged before roles were)
    resolved: bool
    resolved_role: str
    # A report that joined an open alarm: whether an update carrying it has gone to the family (None: the
    # alarm's own first report, which the alarm messages carry).
    told: bool | None
    note: str  # the note addressed to this report ("" none)

    @property
    def role(self) -> str:
        """The role the current state names."""
        return {
            FinderStep.DELIVERED: self.delivered_role,
            FinderStep.SEEN: self.seen_role,
            FinderStep.ACKNOWLEDGED: self.acknowledged_role,
            FinderStep.ALREADY_KNOWN: self.acknowledged_role,
            FinderStep.RESOLVED: self.resolved_role,
        }.get(self.state, "")

    @property
    def final(self) -> bool:
        """Nothing more will change for this finder: the page stops asking."""
        return self.state == FinderStep.RESOLVED


def _first_role(kinds: set[str]) -> str:
    return next((role for role in ROLE_ORDER if role in kinds), "")


def _reached(status: str, channel: str) -> bool:
    """Delivered, as far as the channel can say: a receipt, or an accepted send where no receipt ever comes."""
    if status in (NotificationStatus.DELIVERED, NotificationStatus.READ):
        return True
    return status == NotificationStatus.SENT and not channel_reports_delivery(channel)


def finder_state(*, alarm: Alarm, scan_event: ScanEvent | None = None) -> FinderState:
    """The state of one report: the alarm's own first one (`scan_event` None) or one that joined it."""
    reported_at: datetime = scan_event.timestamp if scan_event is not None else alarm.timestamp
    rows = list(alarm.attempts.values_list("recipient_kind", "status", "channel", "update_seq", "sent_at"))
    waiting = (NotificationStatus.PENDING, NotificationStatus.CANCELLED)
    contacting = any(sent_at is not None or status not in waiting for _, status, _, _, sent_at in rows)
    delivered = _first_role({kind for kind, status, channel, _, _ in rows if _reached(status, channel)})
    seen = _first_role({kind for kind, status, *_ in rows if status == NotificationStatus.READ})
    told = None
    if scan_event is not None:
        told = any(
            seq > 0 and status in SUCCESS and sent_at is not None and sent_at >= reported_at
            for _, status, _, seq, sent_at in rows
        )
    later = alarm.acknowledged_at is not None and reported_at > alarm.acknowledged_at
    if alarm.resolved_at is not None:
        state = FinderStep.RESOLVED
    elif later:
        state = FinderStep.ALREADY_KNOWN
    elif alarm.acknowledged_at is not None:
        state = FinderStep.ACKNOWLEDGED
    elif family_unreached((kind, status, seq) for kind, status, _, seq, _ in rows):
        state = FinderStep.UNREACHED
    elif seen:
        state = FinderStep.SEEN
    elif delivered:
        state = FinderStep.DELIVERED
    elif contacting:
        state = FinderStep.CONTACTING
    else:
        state = FinderStep.RECEIVED
    return FinderState(
        state=state,
        contacting=contacting or bool(delivered),
        delivered_role=delivered,
        seen_role=seen,
        acknowledged=alarm.acknowledged_at is not None,
        acknowledged_role=alarm.acknowledged_role,
        resolved=alarm.resolved_at is not None,
        resolved_role=alarm.resolved_role,
        told=told,
        note="" if later else alarm.acknowledgement_note,
    )
