"""Alarms raised by scans, and the notification attempts that are their outbox."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.encryption import EncryptedCharField, EncryptedTextField
from core.fields import optional_link
from messaging.models import MessageStatus

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class SituationType(models.TextChoices):
    TEST = "TEST", _("Test scan")
    INJURED = "INJURED", _("Subject injured")
    LOST = "LOST", _("Subject lost")
    CONTACT = "CONTACT", _("Subject needs contact")


class NotificationStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    PROCESSING = "PROCESSING", _("Processing")
    SENT = "SENT", _("Sent")
    DELIVERED = "DELIVERED", _("Delivered")
    READ = "READ", _("Read")
    UNDELIVERED = "UNDELIVERED", _("Undelivered")
    FAILED = "FAILED", _("Failed")
    ERROR = "ERROR", _("Error")
    CANCELLED = "CANCELLED", _("Cancelled (acknowledged before it was due)")
    # The provider may have the message (answer lost, worker died mid-send): never sent again on this channel.
    UNCERTAIN = "UNCERTAIN", _("Sent, answer lost: waiting for the receipt")
    UNCONFIRMED = "UNCONFIRMED", _("Sent, answer lost, no receipt in time: next channel tried")


# An attempt that reached its recipient, as far as anyone can tell (every reader counts success the same way).
ATTEMPT_SUCCESS = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ)


# How serious a report is: a report more serious than the open alarm upgrades it in place (alerts.services.reports).
SEVERITY = {"TEST": 0, "CONTACT": 1, "LOST": 2, "INJURED": 3}


class AlarmSource(models.TextChoices):
    WEB = "web", _("Scan page")
    PHOTOTAKER = "phototaker", _("Phototaker app")
    SMS = "sms", _("SMS short code")
    BUTTON = "button", _("Custodian's test button")
    API = "api", _("API")


class RecipientKind(models.TextChoices):
    CUSTODIAN = "custodian", _("Custodian")
    CONTACT = "contact", _("Emergency contact")
    DOCTOR = "doctor", _("Doctor")
    TRIGGER = "trigger", _("Whoever triggered the test")


# Who acknowledged or closed an alarm (a handler role): one of its recipients, by their RecipientKind, or Keryu's
# staff.
HANDLER_STAFF = "staff"
HANDLER_ROLES = [*RecipientKind.choices, (HANDLER_STAFF, _("Keryu staff"))]


# The alarms that take a code's new reports: unresolved, still grouping, not a test. The database allows one
# per code (the constraint below), so concurrent first reports cannot raise two alarms: the loser's INSERT
# fails and it joins the winner's alarm.
OPEN_FOR_REPORTS = models.Q(resolved_at__isnull=True, grouping_closed_at__isnull=True, is_test=False)


class FinderReport(models.Model):
    """What a finder reported, as stored: on the alarm their first report raised, and on each ScanEvent that
    joined it. `alerts.services.reports.Report` carries the same fields from the scan page, the short-code
    texts and the API to the service that stores them."""

    situation_type = models.CharField(max_length=20, choices=SituationType.choices, verbose_name=_("situation type"))
    description = models.TextField(blank=True, verbose_name=_("description"))
    location = models.CharField(max_length=255, blank=True, verbose_name=_("location"))
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("latitude"))
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, verbose_name=_("longitude"))
    source = models.CharField(
        max_length=16, choices=AlarmSource.choices, default=AlarmSource.WEB, verbose_name=_("source")
    )
    scanner_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("scanner ip"))
    scanner_user_agent = models.TextField(blank=True, verbose_name=_("scanner user agent"))
    # The finder's own details, only if they gave them, so the custodian can call back.
    finder_name = EncryptedCharField(max_length=100, blank=True, verbose_name=_("finder name"))
    finder_phone = EncryptedCharField(max_length=32, blank=True, verbose_name=_("finder phone"))
    # The finder chose to let the family see their number (the scan form's box). Masked otherwise: the number
    # only carries Keryu's relay messages (alerts.services.relay) and the closing notice.
    finder_phone_shared = models.BooleanField(default=False, db_default=False, verbose_name=_("finder phone shared"))

    # Kept only for KERYU_SCANNER_DATA_RETENTION_DAYS, then blanked (alerts.services.maintenance.scanner_data_purge):
    # what the finder's device told us and what they said about themselves and where they were.
    SCANNER_DATA = ("scanner_ip", "scanner_user_agent", "latitude", "longitude", "finder_name", "finder_phone")

    class Meta:
        abstract = True


class Alarm(FinderReport):
    # Out of Wagtail's reference index: indexing each new alarm refetched it and wrote index rows inside the
    # scan's transaction (4 statements, ~17% of a POST's CPU). Nothing reads those rows: deleting a subject
    # asks Django's deletion collector whether alarms protect it (registry.selectors.deletion_archives).
    wagtail_reference_index_ignore = True

    # PROTECT: an alarm is history. Deleting its subject (or the subject's custodian or user) archives
    # them instead (registry.services), so the alarm, its reports and its attempts are never cascaded away.
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.PROTECT, related_name="alarms", verbose_name=_("subject")
    )
    qr_code = optional_link("registry.QRCode", verbose_name=_("qr code"), related_name="alarms")
    timestamp = models.DateTimeField(default=timezone.now, verbose_name=_("timestamp"))
    # The alarm's current situation (the first report's, or a more serious later one's), hence its own default.
    situation_type = models.CharField(
        max_length=20, choices=SituationType.choices, default=SituationType.TEST, verbose_name=_("situation type")
    )
    # What the first report said: a more serious later report upgrades `situation_type` in place, and the
    # timeline must still show both reports.
    first_situation_type = models.CharField(
        max_length=20,
        choices=SituationType.choices,
        blank=True,
        default="",
        db_default="",
        verbose_name=_("first situation type"),
    )
    is_test = models.BooleanField(default=False, verbose_name=_("is test"))
    is_phototaker = models.BooleanField(default=False, verbose_name=_("is phototaker"))
    # Further reports joined to this alarm (ScanEvent) and the update notifications they caused.
    report_count = models.PositiveIntegerField(default=1, verbose_name=_("report count"))
    update_count = models.PositiveIntegerField(default=0, verbose_name=_("update count"))
    update_notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("update notified at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    # Set when a report arrived after the cooldown and started a new alarm: this one stays unresolved (the
    # family's to close) but takes no more reports. See OPEN_FOR_REPORTS.
    grouping_closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("grouping closed at"))
    resolution_notes = models.TextField(blank=True, verbose_name=_("resolution notes"))
    notification_sent = models.BooleanField(default=False, verbose_name=_("notification sent"))
    notification_status = models.CharField(
        max_length=20,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
        verbose_name=_("notification status"),
    )
    notification_attempts = models.PositiveIntegerField(default=0, verbose_name=_("notification attempts"))
    last_attempt = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt"))
    notification_error = models.TextField(blank=True, verbose_name=_("notification error"))
    # Who pressed the test button (TEST alarms go to them only).
    triggered_by = optional_link(settings.AUTH_USER_MODEL, verbose_name=_("triggered by"))
    # Acknowledgement: the first recipient who says "I have seen it" stops the escalation.
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name=_("acknowledged at"))
    acknowledged_by = models.CharField(
        max_length=150, blank=True, help_text=_("Name snapshot of who acknowledged."), verbose_name=_("acknowledged by")
    )
    acknowledged_via = models.CharField(max_length=16, blank=True, verbose_name=_("acknowledged via"))
    acknowledgement_note = models.TextField(
        blank=True,
        help_text=_("Shown to the finders whose reports came in before the acknowledgement."),
        verbose_name=_("acknowledgement note"),
    )
    # Who acknowledged and who closed it, by role: what the finder's page names ("a family member").
    acknowledged_role = models.CharField(
        max_length=16,
        choices=HANDLER_ROLES,
        blank=True,
        default="",
        db_default="",
        verbose_name=_("acknowledged role"),
    )
    resolved_role = models.CharField(
        max_length=16,
        choices=HANDLER_ROLES,
        blank=True,
        default="",
        db_default="",
        verbose_name=_("resolved role"),
    )
    # When staff were told that the family (every custodian, on every channel) could not be reached: once per
    # alarm, claimed by a conditional update (alerts.services.alarm_status).
    staff_alerted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("staff alerted at"))
    escalation_level = models.PositiveIntegerField(
        default=0, help_text=_("The policy's level within the current round."), verbose_name=_("escalation level")
    )
    # The policy ran out with nobody answering: the round starts again (EscalationPolicy.repeat), then staff.
    escalation_round = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text=_("0: the policy's first round; n: its nth repeat."),
        verbose_name=_("escalation round"),
    )
    escalation_round_started_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("escalation round started at")
    )
    # Keryu staff taking over (alerts.services.notes.alarm_emergency_called): recorded once, shown on the timeline.
    emergency_called_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emergency called at"))
    emergency_called_by = models.CharField(
        max_length=150,
        blank=True,
        default="",
        db_default="",
        help_text=_("Name snapshot of the staff member."),
        verbose_name=_("emergency called by"),
    )
    auto_retries = models.PositiveIntegerField(default=0, verbose_name=_("auto retries"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["subject", "-timestamp"]),
            models.Index(fields=["notification_status"]),
            models.Index(fields=["situation_type", "-timestamp"]),
            models.Index(fields=["-timestamp"]),
            models.Index(fields=["resolved_at"]),
            models.Index(fields=["is_phototaker"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["qr_code"], condition=OPEN_FOR_REPORTS, name="alerts_one_open_alarm_per_code"
            )
        ]

    def __str__(self) -> str:
        # The viewer's clock (core.timezones activates it per request), like every other time on the page, named.
        return f"{self.get_situation_type_display()} · {self.subject} · {timezone.localtime(self.timestamp):%Y-%m-%d %H:%M %Z}"


# NotificationAttempt.error of a row whose recipient was moved on for want of a receipt (the timeline shows it).
NO_RECEIPT = "No delivered or read receipt within {seconds} s: moved to the next channel"
_NO_RECEIPT_RE = re.compile(re.escape(NO_RECEIPT).replace(re.escape("{seconds}"), r"(?P<seconds>\d+)"))


def no_receipt_text(error: str) -> str | None:
    """The viewer's words for a stored NO_RECEIPT error (the database keeps the English), else None."""
    match = _NO_RECEIPT_RE.fullmatch(error)
    if match is None:
        return None
    return gettext("No delivered or read receipt within %(seconds)s s: moved to the next channel") % {
        "seconds": match["seconds"]
    }


class NotificationAttempt(models.Model):
    """One recipient on one channel for one alarm. Written with the alarm; delivered by a worker."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("alarm"))
    # SET_NULL: the attempt outlives the person (recipient_name keeps who it was for).
    custodian = optional_link("registry.Custodian", verbose_name=_("custodian"))
    recipient_key = models.CharField(
        max_length=64, help_text=_("Who this is for, e.g. custodian:12."), verbose_name=_("recipient key")
    )
    recipient_kind = models.CharField(
        max_length=16, choices=RecipientKind.choices, default=RecipientKind.CUSTODIAN, verbose_name=_("recipient kind")
    )
    contact = optional_link("registry.EmergencyContact", verbose_name=_("contact"))
    # Snapshots (never the address: that is read from the registry at send time and kept by messaging).
    recipient_name = models.CharField(max_length=150, blank=True, verbose_name=_("recipient name"))
    language = models.CharField(max_length=2, default="es", verbose_name=_("language"))
    wave = models.PositiveIntegerField(
        default=0, help_text=_("0: at once; higher: the policy's escalation levels."), verbose_name=_("wave")
    )
    escalation_round = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text=_("0: the policy's first round; n: its nth repeat (the alarm sent again from the start)."),
        verbose_name=_("escalation round"),
    )
    update_seq = models.PositiveIntegerField(
        default=0,
        help_text=_("0: the alarm itself; n: the nth update about later reports joined to it."),
        verbose_name=_("update seq"),
    )
    not_before = models.DateTimeField(
        null=True, blank=True, help_text=_("Not sent before this time."), verbose_name=_("not before")
    )
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))
    channel = models.CharField(max_length=32, verbose_name=_("channel"))
    status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING, verbose_name=_("status")
    )
    message = optional_link("messaging.Message", verbose_name=_("message"))
    retry_count = models.PositiveIntegerField(default=0, verbose_name=_("retry count"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    dispatched_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("Written just before the provider call: from then on it may have gone out."),
        verbose_name=_("dispatched at"),
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("notification attempt")
        verbose_name_plural = _("notification attempts")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alarm", "update_seq", "escalation_round", "recipient_key", "channel"],
                name="alerts_one_attempt_per_recipient_channel_round",
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"]), models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return _("Attempt #%(pk)s · %(recipient)s · %(channel)s · %(status)s") % {
            "pk": self.pk,
            "recipient": self.recipient_key,
            "channel": self.channel,
            "status": self.get_status_display(),
        }

    @property
    def error_text(self) -> str:
        """The error as its reader should see it: the stored no-receipt reason in their language."""
        return no_receipt_text(self.error) or self.error


class ScanEvent(FinderReport):
    """A further report about a subject whose alarm is still open (within the cooldown): joined, not a new alarm.

    Location updates are valuable: the custodian is re-notified with the latest one, at most once per interval.
    """

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="scan_events", verbose_name=_("alarm"))
    timestamp = models.DateTimeField(default=timezone.now, verbose_name=_("timestamp"))

    class Meta:
        verbose_name = _("scan event")
        verbose_name_plural = _("scan events")
        ordering = ["-timestamp"]
        indexes = [models.Index(fields=["alarm", "-timestamp"])]

    def __str__(self) -> str:
        return _("Report · %(situation)s · %(when)s") % {
            "situation": self.get_situation_type_display(),
            "when": f"{self.timestamp:%Y-%m-%d %H:%M}",
        }


class NoticeStatus(models.TextChoices):
    """Where a notice, or a relayed message, is in its one claimed send (alerts.services.notices.claimed_row_text)."""

    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed on every channel")


class AlarmNotice(models.Model):
    """One notice about an alarm to someone it already concerns: who is handling it (ACKNOWLEDGED, to every other
    recipient already messaged), that it is closed (RESOLVED to every recipient messaged, RESOLVED_FINDER to each
    finder who reported by text or left a number). Written when the alarm changes, sent by a worker
    (alerts.services.notices); one per alarm, kind and recipient, so a second acknowledgement or a redelivered
    task tells nobody twice. Addresses are read at send time, never stored here."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notices", verbose_name=_("alarm"))
    kind = models.CharField(max_length=32, verbose_name=_("kind"))  # a messaging template kind
    recipient_key = models.CharField(
        max_length=80, help_text=_("custodian:12, contact:3, doctor:5, finder:<hash>."), verbose_name=_("recipient key")
    )
    # The recipient's row on the alarm (addresses and preference come from it), or the finder's report.
    attempt = optional_link(NotificationAttempt, verbose_name=_("attempt"))
    scan_event = optional_link(ScanEvent, verbose_name=_("scan event"))
    recipient_name = models.CharField(max_length=150, blank=True, verbose_name=_("recipient name"))
    language = models.CharField(max_length=2, default="es", verbose_name=_("language"))
    # Who is handling it (or closed it): a first-name snapshot and a handler role, named in the recipient's language.
    handler_name = models.CharField(max_length=150, blank=True, verbose_name=_("handler name"))
    handler_role = models.CharField(max_length=16, choices=HANDLER_ROLES, blank=True, verbose_name=_("handler role"))
    status = models.CharField(
        max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING, verbose_name=_("status")
    )
    channel = models.CharField(max_length=32, blank=True, verbose_name=_("channel"))
    message = optional_link("messaging.Message", verbose_name=_("message"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("alarm notice")
        verbose_name_plural = _("alarm notices")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["alarm", "kind", "recipient_key"], name="alerts_one_notice_per_recipient")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return _("Notice #%(pk)s · %(kind)s · %(recipient)s · %(status)s") % {
            "pk": self.pk,
            "kind": self.kind,
            "recipient": self.recipient_key,
            "status": self.get_status_display(),
        }


class InactiveCodeScan(models.Model):
    """Someone scanned a deactivated code (the spec's exception scenario): logged, and the custodian is told."""

    qr_code = models.ForeignKey(
        "registry.QRCode", on_delete=models.CASCADE, related_name="+", verbose_name=_("qr code")
    )
    timestamp = models.DateTimeField(default=timezone.now, verbose_name=_("timestamp"))
    scanner_ip = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("scanner ip"))
    scanner_user_agent = models.TextField(blank=True, verbose_name=_("scanner user agent"))
    source = models.CharField(
        max_length=16, choices=AlarmSource.choices, default=AlarmSource.WEB, verbose_name=_("source")
    )
    # Set when this scan's notice went to the custodian; later scans within the interval are only logged.
    notify = models.BooleanField(default=False, verbose_name=_("notify"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified at"))
    notified_channel = models.CharField(max_length=32, blank=True, verbose_name=_("notified channel"))

    class Meta:
        verbose_name = _("inactive code scan")
        verbose_name_plural = _("inactive code scans")
        ordering = ["-timestamp"]
        indexes = [models.Index(fields=["qr_code", "-timestamp"])]

    def __str__(self) -> str:
        return _("Inactive code scanned · %(when)s") % {"when": f"{self.timestamp:%Y-%m-%d %H:%M}"}


class EscalationPolicy(models.Model):
    """Who is told at once and who later, per situation. Staff edit it; code defaults apply when a row is missing."""

    situation_type = models.CharField(
        max_length=20, choices=SituationType.choices, unique=True, verbose_name=_("situation type")
    )
    contacts_at_once = models.BooleanField(
        default=False, help_text=_("Notify every emergency contact immediately."), verbose_name=_("contacts at once")
    )
    notify_contacts = models.BooleanField(
        default=True, help_text=_("Escalate to emergency contacts at all."), verbose_name=_("notify contacts")
    )
    notify_doctor = models.BooleanField(
        default=False, help_text=_("Notify the subject's doctor immediately."), verbose_name=_("notify doctor")
    )
    contact_delay_seconds = models.PositiveIntegerField(
        default=300,
        help_text=_("Unacknowledged: the next contact is notified this many seconds after the previous."),
        verbose_name=_("contact delay seconds"),
    )
    ack_timeout_seconds = models.PositiveIntegerField(
        default=600,
        help_text=_("Unacknowledged this long: re-notify everyone told so far on their next channel."),
        verbose_name=_("ack timeout seconds"),
    )
    max_depth = models.PositiveIntegerField(
        default=2, help_text=_("How many re-notification levels in a round."), verbose_name=_("max depth")
    )
    repeat = models.PositiveIntegerField(
        default=1,
        db_default=1,
        validators=[MaxValueValidator(9)],
        help_text=_(
            "Nobody acknowledged after the last level: start the round again this many times (everyone told "
            "so far, from their first channel), then hand the alarm to Keryu staff."
        ),
        verbose_name=_("repeat"),
    )
    whatsapp_delivery_timeout_seconds = models.PositiveIntegerField(
        default=120,
        help_text=_("A WhatsApp message not delivered in this time is followed by the next channel (SMS)."),
        verbose_name=_("whatsapp delivery timeout seconds"),
    )

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["situation_type"]

    def __str__(self) -> str:
        return _("Escalation policy · %(situation)s") % {"situation": self.get_situation_type_display()}


class ReachabilityVerdict(models.TextChoices):
    """What a drill concludes about an address beyond what its message's status says. A check's status is either
    its message's (messaging's MessageStatus: pending, sent, delivered, read, undelivered, failed) or one of these."""

    SILENT = "silent", _("No delivery receipt in time")
    # Email (and any channel without receipts): accepted, and no refusal or bounce within the window.
    ACCEPTED = "accepted", _("Accepted, no bounce")
    ANSWERED = "answered", _("Answered")
    # Our side stood in the way (configuration, template not approved, a limit, a transient error): the
    # address was not tested on this channel, so nothing is said about it.
    NOT_CHECKED = "not_checked", _("Not checked: Keryu could not send")


REACHABILITY_STATUSES = [*MessageStatus.choices, *ReachabilityVerdict.choices]


# The reasons alerts.services.drills stores (in English: the history is not rewritten), each with the words its
# reader sees; `reachability_reason_text` translates a stored one at display.
REACHABILITY_REASONS: list[tuple[re.Pattern[str], StrOrPromise]] = [
    (re.compile(r"No phone or email to reach them on\."), _("No phone or email to reach them on.")),
    (
        re.compile(r"Keryu could not send on this channel \((?P<code>.*)\)\."),
        _("Keryu could not send on this channel (%(code)s)."),
    ),
    (
        re.compile(r"(?P<family>[\w ]+): (?P<status>\w+) \(code (?P<code>.*)\)\."),
        _("%(family)s: %(status)s (code %(code)s)."),
    ),
    (re.compile(r"(?P<family>[\w ]+): (?P<status>\w+)\."), _("%(family)s: %(status)s.")),
    (re.compile(r"A later check reached them\."), _("A later check reached them.")),
    (re.compile(r"Answered\."), _("Answered.")),
    (re.compile(r"No delivery receipt within (?P<hours>\d+) h\."), _("No delivery receipt within %(hours)s h.")),
    (
        re.compile(r"Accepted; no refusal or bounce in (?P<hours>\d+) h\."),
        _("Accepted; no refusal or bounce in %(hours)s h."),
    ),
    (re.compile(r"A later check was accepted without a bounce\."), _("A later check was accepted without a bounce.")),
    (re.compile(r"Accepted, no bounce\."), _("Accepted, no bounce.")),
]


def reachability_reason_text(reason: str) -> str:
    """A stored check reason in the active language; one it does not know, as stored."""
    for pattern, text in REACHABILITY_REASONS:
        match = pattern.fullmatch(reason)
        if match is not None:
            values = match.groupdict()
            if "status" in values:
                values["status"] = str(dict(REACHABILITY_STATUSES).get(values["status"], values["status"]))
            return str(text) % values if values else str(text)
    return reason


class ReachabilityCheck(models.Model):
    """One drill message to one person an alarm would reach (the custodian, an emergency contact, the
    doctor) on one channel, judged by what that channel can report (alerts.services.drills)."""

    custodian = models.ForeignKey(
        "registry.Custodian", on_delete=models.CASCADE, related_name="+", verbose_name=_("custodian")
    )
    recipient_kind = models.CharField(
        max_length=16, choices=RecipientKind.choices, default=RecipientKind.CONTACT, verbose_name=_("recipient kind")
    )
    # A snapshot, like an attempt's: the check keeps saying who it was for.
    recipient_name = models.CharField(max_length=150, blank=True, verbose_name=_("recipient name"))
    contact = models.ForeignKey(
        "registry.EmergencyContact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("contact"),
    )
    # The doctor's patient (a doctor is a subject's, not a record of their own).
    subject = models.ForeignKey(
        "registry.Subject", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("subject")
    )
    message = optional_link("messaging.Message", verbose_name=_("message"))
    channel = models.CharField(max_length=32, blank=True, verbose_name=_("channel"))
    # messaging.formatting.address_hash of the address drilled: a reply from it, or a later drill to it, clears
    # the flag (the message, and its address, go before the check does).
    address_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("address hash")
    )
    status = models.CharField(
        max_length=16, choices=REACHABILITY_STATUSES, default=MessageStatus.PENDING, verbose_name=_("status")
    )
    flagged = models.BooleanField(default=False, verbose_name=_("flagged"))
    reason = models.CharField(max_length=200, blank=True, verbose_name=_("reason"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("checked at"))
    cleared_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the address answered (a reply, or a later check delivered)."),
        verbose_name=_("cleared at"),
    )
    custodian_told_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the custodian was told."), verbose_name=_("custodian told at")
    )
    # A "not checked" drill goes on to the recipient's next channel once (alerts.services.drills).
    followed_up = models.BooleanField(default=False, verbose_name=_("followed up"))

    class Meta:
        verbose_name = _("reachability check")
        verbose_name_plural = _("reachability checks")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["flagged", "created_at"])]

    def __str__(self) -> str:
        return _("Contact check · %(recipient)s · %(status)s") % {
            "recipient": self.recipient_name or self.contact,
            "status": self.get_status_display(),
        }

    @property
    def reason_text(self) -> str:
        """The reason in its reader's language (stored in English)."""
        return reachability_reason_text(self.reason)


class AlarmNote(models.Model):
    """What staff add to an alarm's record instead of editing it: the record itself is append-only, so are notes."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="notes", verbose_name=_("alarm"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("author")
    )
    # A snapshot: the note keeps saying who wrote it if the account goes.
    author_name = models.CharField(max_length=150, verbose_name=_("author name"))
    text = models.TextField(verbose_name=_("text"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("alarm note")
        verbose_name_plural = _("alarm notes")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return _("Note #%(pk)s · %(author)s · %(when)s") % {
            "pk": self.pk,
            "author": self.author_name,
            "when": f"{self.created_at:%Y-%m-%d %H:%M}",
        }


class StaffEscalationStage(models.TextChoices):
    INJURED = "injured", _("Injured, not acknowledged in time")
    EXHAUSTED = "exhausted", _("Every round of the escalation policy done, nobody acknowledged")


class StaffEscalation(models.Model):
    """An alarm handed to Keryu staff. One row per alarm and stage: inserting it is the claim, so staff are
    told at most once per stage however many beats, workers or retries race to do it."""

    alarm = models.ForeignKey(
        Alarm, on_delete=models.PROTECT, related_name="staff_escalations", verbose_name=_("alarm")
    )
    stage = models.CharField(max_length=16, choices=StaffEscalationStage.choices, verbose_name=_("stage"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    # The notification to the on-call staff: claimed by a worker (a lease), then done.
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified at"))
    staff_told = models.PositiveIntegerField(default=0, verbose_name=_("staff told"))

    class Meta:
        verbose_name = _("staff escalation")
        verbose_name_plural = _("staff escalations")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["alarm", "stage"], name="alerts_one_staff_escalation_per_stage")]

    def __str__(self) -> str:
        return _("Staff escalation · alarm %(alarm)s · %(stage)s") % {
            "alarm": self.alarm_id,
            "stage": self.get_stage_display(),
        }


class RelayDirection(models.TextChoices):
    TO_FINDER = "to_finder", _("Family to finder")
    TO_FAMILY = "to_family", _("Finder to family")


# A relayed message is sent as a notice is (NoticeStatus), or not at all: with nobody to text it to, it is on the
# pages only.
RELAY_PAGE_ONLY = "page_only"
RELAY_STATUSES = [*NoticeStatus.choices, (RELAY_PAGE_ONLY, _("On the page only (no number to text)"))]


class RelayMessage(models.Model):
    """One message of the masked conversation between a finder and the family (alerts.services.relay).

    A conversation is per report (the alarm's first one, `scan_event` None, or a later one): a later finder
    never reads what an earlier one was told. Shown on the finder's page and on every recipient's
    acknowledgement page; sent by text to the finder who left a number (or reported by text) and to the family
    member who last wrote, through Keryu's own sender. No address is stored here but the one its sender chose
    to share. The text is finder data: blanked on the scanner-data schedule (alerts.services.maintenance)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="relay_messages", verbose_name=_("alarm"))
    scan_event = models.ForeignKey(
        ScanEvent,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="relay_messages",
        verbose_name=_("scan event"),
    )
    direction = models.CharField(max_length=16, choices=RelayDirection.choices, verbose_name=_("direction"))
    # The family side: who wrote (a handler role, a first-name snapshot, their recipient key and row), or, for
    # a message to the family, whom it is texted to. The finder has no name here.
    sender_role = models.CharField(max_length=16, blank=True, verbose_name=_("sender role"))
    sender_name = models.CharField(max_length=150, blank=True, verbose_name=_("sender name"))
    family_key = models.CharField(max_length=80, blank=True, verbose_name=_("family key"))
    attempt = optional_link(NotificationAttempt, verbose_name=_("attempt"))
    text = EncryptedTextField(blank=True, verbose_name=_("text"))
    # The sender's own number, only when they chose to share it ("" masked).
    shared_contact = EncryptedCharField(max_length=64, blank=True, verbose_name=_("shared contact"))
    via = models.CharField(max_length=16, help_text=_("web, sms or whatsapp: how it came in."), verbose_name=_("via"))
    language = models.CharField(
        max_length=2, default="es", help_text=_("The reader's language, for the text sent."), verbose_name=_("language")
    )
    status = models.CharField(
        max_length=16, choices=RELAY_STATUSES, default=NoticeStatus.PENDING, verbose_name=_("status")
    )
    channel = models.CharField(max_length=32, blank=True, verbose_name=_("channel"))
    message = optional_link("messaging.Message", verbose_name=_("message"))
    inbound = optional_link("messaging.InboundMessage", verbose_name=_("inbound"))
    error = models.TextField(blank=True, verbose_name=_("error"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("relay message")
        verbose_name_plural = _("relay messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["alarm", "scan_event", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return _("Relay #%(pk)s · %(direction)s · %(status)s") % {
            "pk": self.pk,
            "direction": self.get_direction_display(),
            "status": self.get_status_display(),
        }
