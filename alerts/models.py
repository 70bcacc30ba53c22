"""Alarms raised by scans, and the notification attempts that are their outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone

from core.encryption import EncryptedCharField, EncryptedTextField
from messaging.models import MessageStatus


class SituationType(models.TextChoices):
    TEST = "TEST", "Test scan"
    INJURED = "INJURED", "Subject injured"
    LOST = "LOST", "Subject lost"
    CONTACT = "CONTACT", "Subject needs contact"


class NotificationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    PROCESSING = "PROCESSING", "Processing"
    SENT = "SENT", "Sent"
    DELIVERED = "DELIVERED", "Delivered"
    READ = "READ", "Read"
    UNDELIVERED = "UNDELIVERED", "Undelivered"
    FAILED = "FAILED", "Failed"
    ERROR = "ERROR", "Error"
    CANCELLED = "CANCELLED", "Cancelled (acknowledged before it was due)"
    # The provider may have the message (answer lost, worker died mid-send): never sent again on this channel.
    UNCERTAIN = "UNCERTAIN", "Sent, answer lost: waiting for the receipt"
    UNCONFIRMED = "UNCONFIRMED", "Sent, answer lost, no receipt in time: next channel tried"


# An attempt that reached its recipient, as far as anyone can tell (every reader counts success the same way).
ATTEMPT_SUCCESS = (NotificationStatus.SENT, NotificationStatus.DELIVERED, NotificationStatus.READ)


# How serious a report is: a report more serious than the open alarm upgrades it in place (alerts.services.reports).
SEVERITY = {"TEST": 0, "CONTACT": 1, "LOST": 2, "INJURED": 3}


class AlarmSource(models.TextChoices):
    WEB = "web", "Scan page"
    PHOTOTAKER = "phototaker", "Phototaker app"
    SMS = "sms", "SMS short code"
    BUTTON = "button", "Custodian's test button"
    API = "api", "API"


class RecipientKind(models.TextChoices):
    CUSTODIAN = "custodian", "Custodian"
    CONTACT = "contact", "Emergency contact"
    DOCTOR = "doctor", "Doctor"
    TRIGGER = "trigger", "Whoever triggered the test"


# Who acknowledged or closed an alarm (a handler role): one of its recipients, by their RecipientKind, or Keryu's
# staff.
HANDLER_STAFF = "staff"
HANDLER_ROLES = [*RecipientKind.choices, (HANDLER_STAFF, "Keryu staff")]


# The alarms that take a code's new reports: unresolved, still grouping, not a test. The database allows one
# per code (the constraint below), so concurrent first reports cannot raise two alarms: the loser's INSERT
# fails and it joins the winner's alarm.
OPEN_FOR_REPORTS = models.Q(resolved_at__isnull=True, grouping_closed_at__isnull=True, is_test=False)


class FinderReport(models.Model):
    """What a finder reported, as stored: on the alarm their first report raised, and on each ScanEvent that
    joined it. `alerts.services.reports.Report` carries the same fields from the scan page, the short-code
    texts and the API to the service that stores them."""

    situation_type = models.CharField(max_length=20, choices=SituationType.choices)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    source = models.CharField(max_length=16, choices=AlarmSource.choices, default=AlarmSource.WEB)
    scanner_ip = models.GenericIPAddressField(null=True, blank=True)
    scanner_user_agent = models.TextField(blank=True)
    # The finder's own details, only if they gave them, so the custodian can call back.
    finder_name = EncryptedCharField(max_length=100, blank=True)
    finder_phone = EncryptedCharField(max_length=32, blank=True)
    # The finder chose to let the family see their number (the scan form's box). Masked otherwise: the number
    # only carries Keryu's relay messages (alerts.services.relay) and the closing notice.
    finder_phone_shared = models.BooleanField(default=False, db_default=False)

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
    subject = models.ForeignKey("registry.Subject", on_delete=models.PROTECT, related_name="alarms")
    qr_code = models.ForeignKey(
        "registry.QRCode", on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms"
    )
    timestamp = models.DateTimeField(default=timezone.now)
    # The alarm's current situation (the first report's, or a more serious later one's), hence its own default.
    situation_type = models.CharField(max_length=20, choices=SituationType.choices, default=SituationType.TEST)
    # What the first report said: a more serious later report upgrades `situation_type` in place, and the
    # timeline must still show both reports.
    first_situation_type = models.CharField(
        max_length=20, choices=SituationType.choices, blank=True, default="", db_default=""
    )
    is_test = models.BooleanField(default=False)
    is_phototaker = models.BooleanField(default=False)
    # Further reports joined to this alarm (ScanEvent) and the update notifications they caused.
    report_count = models.PositiveIntegerField(default=1)
    update_count = models.PositiveIntegerField(default=0)
    update_notified_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Set when a report arrived after the cooldown and started a new alarm: this one stays unresolved (the
    # family's to close) but takes no more reports. See OPEN_FOR_REPORTS.
    grouping_closed_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)
    notification_sent = models.BooleanField(default=False)
    notification_status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    notification_attempts = models.PositiveIntegerField(default=0)
    last_attempt = models.DateTimeField(null=True, blank=True)
    notification_error = models.TextField(blank=True)
    # Who pressed the test button (TEST alarms go to them only).
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Acknowledgement: the first recipient who says "I have seen it" stops the escalation.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, help_text="Name snapshot of who acknowledged.")
    acknowledged_via = models.CharField(max_length=16, blank=True)
    acknowledgement_note = models.TextField(
        blank=True, help_text="Shown to the finders whose reports came in before the acknowledgement."
    )
    # Who acknowledged and who closed it, by role: what the finder's page names ("a family member").
    acknowledged_role = models.CharField(max_length=16, choices=HANDLER_ROLES, blank=True, default="", db_default="")
    resolved_role = models.CharField(max_length=16, choices=HANDLER_ROLES, blank=True, default="", db_default="")
    # When staff were told that the family (every custodian, on every channel) could not be reached: once per
    # alarm, claimed by a conditional update (alerts.services.alarm_status).
    staff_alerted_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveIntegerField(default=0, help_text="The policy's level within the current round.")
    # The policy ran out with nobody answering: the round starts again (EscalationPolicy.repeat), then staff.
    escalation_round = models.PositiveIntegerField(
        default=0, db_default=0, help_text="0: the policy's first round; n: its nth repeat."
    )
    escalation_round_started_at = models.DateTimeField(null=True, blank=True)
    # Keryu staff taking over (alerts.services.notes.alarm_emergency_called): recorded once, shown on the timeline.
    emergency_called_at = models.DateTimeField(null=True, blank=True)
    emergency_called_by = models.CharField(
        max_length=150, blank=True, default="", db_default="", help_text="Name snapshot of the staff member."
    )
    auto_retries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
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


class NotificationAttempt(models.Model):
    """One recipient on one channel for one alarm. Written with the alarm; delivered by a worker."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="attempts")
    # SET_NULL: the attempt outlives the person (recipient_name keeps who it was for).
    custodian = models.ForeignKey(
        "registry.Custodian", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient_key = models.CharField(max_length=64, help_text="Who this is for, e.g. custodian:12.")
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices, default=RecipientKind.CUSTODIAN)
    contact = models.ForeignKey(
        "registry.EmergencyContact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Snapshots (never the address: that is read from the registry at send time and kept by messaging).
    recipient_name = models.CharField(max_length=150, blank=True)
    language = models.CharField(max_length=2, default="es")
    wave = models.PositiveIntegerField(default=0, help_text="0: at once; higher: the policy's escalation levels.")
    escalation_round = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="0: the policy's first round; n: its nth repeat (the alarm sent again from the start).",
    )
    update_seq = models.PositiveIntegerField(
        default=0, help_text="0: the alarm itself; n: the nth update about later reports joined to it."
    )
    not_before = models.DateTimeField(null=True, blank=True, help_text="Not sent before this time.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    retry_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True, help_text="Written just before the provider call: from then on it may have gone out."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alarm", "update_seq", "escalation_round", "recipient_key", "channel"],
                name="alerts_one_attempt_per_recipient_channel_round",
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"]), models.Index(fields=["status", "not_before"])]

    def __str__(self) -> str:
        return f"Attempt #{self.pk} · {self.recipient_key} · {self.channel} · {self.status}"


class ScanEvent(FinderReport):
    """A further report about a subject whose alarm is still open (within the cooldown): joined, not a new alarm.

    Location updates are valuable: the custodian is re-notified with the latest one, at most once per interval.
    """

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="scan_events")
    timestamp = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-timestamp"]
        indexes = [models.Index(fields=["alarm", "-timestamp"])]

    def __str__(self) -> str:
        return f"Report · {self.get_situation_type_display()} · {self.timestamp:%Y-%m-%d %H:%M}"


class NoticeStatus(models.TextChoices):
    """Where a notice, or a relayed message, is in its one claimed send (alerts.services.notices.claimed_row_text)."""

    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed on every channel"


class AlarmNotice(models.Model):
    """One notice about an alarm to someone it already concerns: who is handling it (ACKNOWLEDGED, to every other
    recipient already messaged), that it is closed (RESOLVED to every recipient messaged, RESOLVED_FINDER to each
    finder who reported by text or left a number). Written when the alarm changes, sent by a worker
    (alerts.services.notices); one per alarm, kind and recipient, so a second acknowledgement or a redelivered
    task tells nobody twice. Addresses are read at send time, never stored here."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=32)  # a messaging template kind
    recipient_key = models.CharField(max_length=80, help_text="custodian:12, contact:3, doctor:5, finder:<hash>.")
    # The recipient's row on the alarm (addresses and preference come from it), or the finder's report.
    attempt = models.ForeignKey(NotificationAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    scan_event = models.ForeignKey(ScanEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recipient_name = models.CharField(max_length=150, blank=True)
    language = models.CharField(max_length=2, default="es")
    # Who is handling it (or closed it): a first-name snapshot and a handler role, named in the recipient's language.
    handler_name = models.CharField(max_length=150, blank=True)
    handler_role = models.CharField(max_length=16, choices=HANDLER_ROLES, blank=True)
    status = models.CharField(max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    channel = models.CharField(max_length=32, blank=True)
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["alarm", "kind", "recipient_key"], name="alerts_one_notice_per_recipient")
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Notice #{self.pk} · {self.kind} · {self.recipient_key} · {self.status}"


class InactiveCodeScan(models.Model):
    """Someone scanned a deactivated code (the spec's exception scenario): logged, and the custodian is told."""

    qr_code = models.ForeignKey("registry.QRCode", on_delete=models.CASCADE, related_name="+")
    timestamp = models.DateTimeField(default=timezone.now)
    scanner_ip = models.GenericIPAddressField(null=True, blank=True)
    scanner_user_agent = models.TextField(blank=True)
    source = models.CharField(max_length=16, choices=AlarmSource.choices, default=AlarmSource.WEB)
    # Set when this scan's notice went to the custodian; later scans within the interval are only logged.
    notify = models.BooleanField(default=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_channel = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-timestamp"]
        indexes = [models.Index(fields=["qr_code", "-timestamp"])]

    def __str__(self) -> str:
        return f"Inactive code scanned · {self.timestamp:%Y-%m-%d %H:%M}"


class EscalationPolicy(models.Model):
    """Who is told at once and who later, per situation. Staff edit it; code defaults apply when a row is missing."""

    situation_type = models.CharField(max_length=20, choices=SituationType.choices, unique=True)
    contacts_at_once = models.BooleanField(default=False, help_text="Notify every emergency contact immediately.")
    notify_contacts = models.BooleanField(default=True, help_text="Escalate to emergency contacts at all.")
    notify_doctor = models.BooleanField(default=False, help_text="Notify the subject's doctor immediately.")
    contact_delay_seconds = models.PositiveIntegerField(
        default=300, help_text="Unacknowledged: the next contact is notified this many seconds after the previous."
    )
    ack_timeout_seconds = models.PositiveIntegerField(
        default=600, help_text="Unacknowledged this long: re-notify everyone told so far on their next channel."
    )
    max_depth = models.PositiveIntegerField(default=2, help_text="How many re-notification levels in a round.")
    repeat = models.PositiveIntegerField(
        default=1,
        db_default=1,
        validators=[MaxValueValidator(9)],
        help_text="Nobody acknowledged after the last level: start the round again this many times (everyone told "
        "so far, from their first channel), then hand the alarm to Keryu staff.",
    )
    whatsapp_delivery_timeout_seconds = models.PositiveIntegerField(
        default=120, help_text="A WhatsApp message not delivered in this time is followed by the next channel (SMS)."
    )

    class Meta:
        verbose_name = "escalation policy"
        verbose_name_plural = "escalation policies"
        ordering = ["situation_type"]

    def __str__(self) -> str:
        return f"Escalation policy · {self.get_situation_type_display()}"


class ReachabilityVerdict(models.TextChoices):
    """What a drill concludes about an address beyond what its message's status says. A check's status is either
    its message's (messaging's MessageStatus: pending, sent, delivered, read, undelivered, failed) or one of these."""

    SILENT = "silent", "No delivery receipt in time"
    # Email (and any channel without receipts): accepted, and no refusal or bounce within the window.
    ACCEPTED = "accepted", "Accepted, no bounce"
    ANSWERED = "answered", "Answered"
    # Our side stood in the way (configuration, template not approved, a limit, a transient error): the
    # address was not tested on this channel, so nothing is said about it.
    NOT_CHECKED = "not_checked", "Not checked: Keryu could not send"


REACHABILITY_STATUSES = [*MessageStatus.choices, *ReachabilityVerdict.choices]


class ReachabilityCheck(models.Model):
    """One drill message to one person an alarm would reach (the custodian, an emergency contact, the
    doctor) on one channel, judged by what that channel can report (alerts.services.drills)."""

    custodian = models.ForeignKey("registry.Custodian", on_delete=models.CASCADE, related_name="+")
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices, default=RecipientKind.CONTACT)
    # A snapshot, like an attempt's: the check keeps saying who it was for.
    recipient_name = models.CharField(max_length=150, blank=True)
    contact = models.ForeignKey(
        "registry.EmergencyContact", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The doctor's patient (a doctor is a subject's, not a record of their own).
    subject = models.ForeignKey("registry.Subject", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    channel = models.CharField(max_length=32, blank=True)
    # messaging.formatting.address_hash of the address drilled: a reply from it, or a later drill to it, clears
    # the flag (the message, and its address, go before the check does).
    address_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    status = models.CharField(max_length=16, choices=REACHABILITY_STATUSES, default=MessageStatus.PENDING)
    flagged = models.BooleanField(default=False)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(
        null=True, blank=True, help_text="When the address answered (a reply, or a later check delivered)."
    )
    custodian_told_at = models.DateTimeField(null=True, blank=True, help_text="When the custodian was told.")
    # A "not checked" drill goes on to the recipient's next channel once (alerts.services.drills).
    followed_up = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["flagged", "created_at"])]

    def __str__(self) -> str:
        return f"Reachability · {self.recipient_name or self.contact} · {self.status}"


class AlarmNote(models.Model):
    """What staff add to an alarm's record instead of editing it: the record itself is append-only, so are notes."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # A snapshot: the note keeps saying who wrote it if the account goes.
    author_name = models.CharField(max_length=150)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Note #{self.pk} · {self.author_name} · {self.created_at:%Y-%m-%d %H:%M}"


class StaffEscalationStage(models.TextChoices):
    INJURED = "injured", "Injured, not acknowledged in time"
    EXHAUSTED = "exhausted", "Every round of the escalation policy done, nobody acknowledged"


class StaffEscalation(models.Model):
    """An alarm handed to Keryu staff. One row per alarm and stage: inserting it is the claim, so staff are
    told at most once per stage however many beats, workers or retries race to do it."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="staff_escalations")
    stage = models.CharField(max_length=16, choices=StaffEscalationStage.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # The notification to the on-call staff: claimed by a worker (a lease), then done.
    claimed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    staff_told = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["alarm", "stage"], name="alerts_one_staff_escalation_per_stage")]

    def __str__(self) -> str:
        return f"Staff escalation · alarm {self.alarm_id} · {self.get_stage_display()}"


class RelayDirection(models.TextChoices):
    TO_FINDER = "to_finder", "Family to finder"
    TO_FAMILY = "to_family", "Finder to family"


# A relayed message is sent as a notice is (NoticeStatus), or not at all: with nobody to text it to, it is on the
# pages only.
RELAY_PAGE_ONLY = "page_only"
RELAY_STATUSES = [*NoticeStatus.choices, (RELAY_PAGE_ONLY, "On the page only (no number to text)")]


class RelayMessage(models.Model):
    """One message of the masked conversation between a finder and the family (alerts.services.relay).

    A conversation is per report (the alarm's first one, `scan_event` None, or a later one): a later finder
    never reads what an earlier one was told. Shown on the finder's page and on every recipient's
    acknowledgement page; sent by text to the finder who left a number (or reported by text) and to the family
    member who last wrote, through Keryu's own sender. No address is stored here but the one its sender chose
    to share. The text is finder data: blanked on the scanner-data schedule (alerts.services.maintenance)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="relay_messages")
    scan_event = models.ForeignKey(
        ScanEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="relay_messages"
    )
    direction = models.CharField(max_length=16, choices=RelayDirection.choices)
    # The family side: who wrote (a handler role, a first-name snapshot, their recipient key and row), or, for
    # a message to the family, whom it is texted to. The finder has no name here.
    sender_role = models.CharField(max_length=16, blank=True)
    sender_name = models.CharField(max_length=150, blank=True)
    family_key = models.CharField(max_length=80, blank=True)
    attempt = models.ForeignKey(NotificationAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    text = EncryptedTextField(blank=True)
    # The sender's own number, only when they chose to share it ("" masked).
    shared_contact = EncryptedCharField(max_length=64, blank=True)
    via = models.CharField(max_length=16, help_text="web, sms or whatsapp: how it came in.")
    language = models.CharField(max_length=2, default="es", help_text="The reader's language, for the text sent.")
    status = models.CharField(max_length=16, choices=RELAY_STATUSES, default=NoticeStatus.PENDING)
    channel = models.CharField(max_length=32, blank=True)
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    inbound = models.ForeignKey(
        "messaging.InboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["alarm", "scan_event", "created_at"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"Relay #{self.pk} · {self.get_direction_display()} · {self.status}"
