"""The message log, the editor-kept message templates, the channel order and what providers tell us.

`messaging` knows nothing of alarms or custodians: a message has an address, a channel and an owner (the
user whose data it concerns, for scoping), and announces status changes with `signals.message_status_changed`.

Addresses and texts are personal data (the family's phones, a finder's name, phone and position quoted in an
alarm): they are encrypted at rest like the registry's fields, looked up only through `address_hash` (a keyed
hash of `formatting.address_key`), and removed after the scanner-data retention (services.messages_purge).
"""

from __future__ import annotations

import string
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from wagtail.models import DraftStateMixin, LockableMixin, PreviewableMixin, RevisionMixin, WorkflowMixin

from core.encryption import EncryptedCharField, EncryptedJSONField, EncryptedTextField

from .channels import CATALOGUE
from .defaults import SAMPLE_CONTEXT, allowed_variables
from .formatting import sms_segments

# The stored channel keys and their labels, from the adapters (channels.CATALOGUE). Code names a channel by its
# adapter (MetaWhatsAppChannel.key); this is for choices and values. django-stubs types only literal members.
Channel = models.TextChoices(  # type: ignore[call-overload]
    "Channel", [(cls.key.upper(), (cls.key, cls.label)) for cls in CATALOGUE]
)


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"


# How far along a message is: a status update is applied only when it moves up this ladder, so a late
# "delivered" after "read", or a replayed webhook, changes nothing.
STATUS_RANK: dict[str, int] = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENT: 1,
    MessageStatus.UNDELIVERED: 2,
    MessageStatus.FAILED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
}


class TemplateKind(models.TextChoices):
    TEST = "TEST", "Test alarm"
    INJURED = "INJURED", "Subject injured"
    LOST = "LOST", "Subject lost"
    CONTACT = "CONTACT", "Subject needs contact"
    UPDATE = "UPDATE", "New report on an open alarm"
    INACTIVE_SCAN = "INACTIVE_SCAN", "Deactivated code scanned"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Alarm acknowledged (to the others told)"
    RESOLVED = "RESOLVED", "Alarm resolved (to everyone told)"
    RESOLVED_FINDER = "RESOLVED_FINDER", "Alarm resolved (to the finder)"
    VERIFICATION_CODE = "VERIFICATION_CODE", "Verification code"
    DRILL = "DRILL", "Monthly reachability check"
    DRILL_FLAGGED = "DRILL_FLAGGED", "Reachability check flagged someone"
    RELAY_TO_FINDER = "RELAY_TO_FINDER", "Family's message to the finder (relayed)"
    RELAY_TO_FAMILY = "RELAY_TO_FAMILY", "Finder's message to the family (relayed)"


def template_variables(content: str) -> set[str]:
    """The `{names}` a template's content uses. Raises ValueError on unbalanced braces."""
    return {name for _, name, _, _ in string.Formatter().parse(content) if name is not None}


class MetaApproval(models.TextChoices):
    APPROVED = "APPROVED", "Approved"
    PENDING = "PENDING", "Pending review"
    REJECTED = "REJECTED", "Rejected"
    PAUSED = "PAUSED", "Paused"
    DISABLED = "DISABLED", "Disabled"
    FLAGGED = "FLAGGED", "Flagged"
    IN_APPEAL = "IN_APPEAL", "In appeal"
    PENDING_DELETION = "PENDING_DELETION", "Pending deletion"
    DELETED = "DELETED", "Deleted"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED", "Limit exceeded"
    UNKNOWN = "UNKNOWN", "Unknown (no word from Meta yet)"


class MetaTemplateStatus(models.Model):
    """Meta's verdict on one WhatsApp template, from its `message_template_status_update` webhook.

    Kept apart from MessageTemplate on purpose: the template is revisioned, and publishing an old revision
    must not roll back what Meta said.
    """

    name = models.CharField(max_length=512)
    language_code = models.CharField(max_length=16)
    status = models.CharField(max_length=32, choices=MetaApproval.choices, default=MetaApproval.UNKNOWN)
    reason = models.CharField(max_length=255, blank=True)
    meta_template_id = models.CharField(max_length=64, blank=True)
    # Meta's category (UTILITY, MARKETING, AUTHENTICATION), from `template_category_update`; blank: not told.
    category = models.CharField(max_length=32, blank=True, default="", db_default="")
    # Meta's quality rating (GREEN, YELLOW, RED, UNKNOWN), from `message_template_quality_update`.
    quality = models.CharField(max_length=16, blank=True, default="", db_default="")
    # Meta moved it to another category than the one it was submitted under: not sent until approved again.
    recategorised = models.BooleanField(default=False, db_default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "language_code"], name="meta_template_unique")]
        verbose_name = "Meta template status"
        verbose_name_plural = "Meta template statuses"

    def __str__(self) -> str:
        return f"{self.name} ({self.language_code}): {self.status}"


class MessageTemplate(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, models.Model):
    """A text an editor keeps, with `{variables}` filled in at send time.

    Drafts and revisions come from Wagtail: the row's fields are always the live (published) version, so
    senders read the row and never a draft. Staff may assign a Wagtail workflow (Settings -> Workflows) so
    an editor's change goes live only once approved; without one, publishing is the approval step.
    """

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=TemplateKind.choices)
    language = models.CharField(max_length=2, choices=[("es", "Español"), ("en", "English")], default="es")
    channel = models.CharField(
        max_length=32, choices=Channel.choices, blank=True, help_text="Leave blank to use for every channel."
    )
    subject_line = models.CharField(max_length=200, blank=True, help_text="Email subject.")
    content = models.TextField(help_text="Use {variables} from the list below; anything else is refused.")
    variables = models.JSONField(default=list, blank=True, help_text="The variables the content uses.")
    is_active = models.BooleanField(default=True)
    whatsapp_template_name = models.CharField(
        max_length=512, blank=True, help_text="Meta template name, e.g. qr_template_on_m. Blank: send as text."
    )
    whatsapp_language_code = models.CharField(max_length=16, blank=True, help_text="Meta language code, e.g. es_MX.")
    whatsapp_parameters = models.CharField(
        max_length=300,
        blank=True,
        help_text="Variables filling the WhatsApp template's {{1}}, {{2}}, ... in order, comma separated.",
    )
    twilio_content_sid = models.CharField(
        max_length=64, blank=True, help_text="Twilio Content SID (HX...) of the same template for Twilio WhatsApp."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="messagetemplate")

    class Meta:
        ordering = ["kind", "language", "channel"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def revisions(self) -> Any:
        return self._revisions

    @property
    def parameter_names(self) -> list[str]:
        return [p.strip() for p in self.whatsapp_parameters.split(",") if p.strip()]

    def clean(self) -> None:
        super().clean()
        allowed = allowed_variables(self.kind)
        try:
            used = template_variables(self.subject_line + self.content)
        except ValueError as exc:
            raise ValidationError({"content": f"Unbalanced braces: {exc}."}) from None
        unknown = used - allowed
        if unknown:
            raise ValidationError(
                {"content": f"Unknown variables: {', '.join(sorted(unknown))}. Allowed: {', '.join(sorted(allowed))}."}
            )
        unknown_params = set(self.parameter_names) - allowed
        if unknown_params:
            raise ValidationError({"whatsapp_parameters": f"Unknown variables: {', '.join(sorted(unknown_params))}."})
        if self.whatsapp_template_name and not self.whatsapp_language_code:
            raise ValidationError({"whatsapp_language_code": "A Meta template needs its language code."})
        self.variables = sorted(used)

    # --- preview with sample data -----------------------------------------------------------------
    def get_preview_template(self, request: HttpRequest, mode_name: str) -> str:
        return "messaging/template_preview.html"

    def get_preview_context(self, request: HttpRequest, mode_name: str) -> dict[str, Any]:
        context: dict[str, Any] = super().get_preview_context(request, mode_name)
        values = {k: SAMPLE_CONTEXT.get(k, "-") for k in allowed_variables(self.kind)}
        try:
            context["subject_preview"] = self.subject_line.format_map(values)
            context["body_preview"] = self.content.format_map(values)
        except (KeyError, ValueError, IndexError) as exc:
            context["preview_error"] = f"This text cannot be filled in yet: {exc}"
        context["parameters_preview"] = [(name, values.get(name, "-")) for name in self.parameter_names]
        # Each channel as its reader sees it: the template's own channel, or all three when it serves every one.
        family = (self.channel or "").split("_")[-1]
        context["show_whatsapp"] = not self.channel or family == "whatsapp"
        context["show_sms"] = not self.channel or family == "sms"
        context["show_email"] = not self.channel or self.channel == "email"
        context["whatsapp_buttons"] = REPLY_BUTTONS if self.kind in REPLY_KINDS else []
        body = context.get("body_preview", "")
        context["sms_segments"], context["sms_encoding"] = sms_segments(body)
        context["sms_length"] = len(body)
        return context


# The alarm messages a recipient answers (alerts.services.replies reads these words and the buttons' payloads).
REPLY_KINDS = frozenset({"TEST", "INJURED", "LOST", "CONTACT", "UPDATE"})
REPLY_BUTTONS = [gettext_lazy("OK, I'm on it"), gettext_lazy("I can't help"), gettext_lazy("Wrong number")]


class ChannelSetting(models.Model):
    """One delivery channel and its place in the order staff choose (1 = primary; blank = not used).

    While no channel has a position, the order comes from the KERYU_CHANNEL_ORDER environment variable.
    Credentials never live here: they stay in the environment.
    """

    key = models.CharField(max_length=32, choices=Channel.choices, unique=True)
    position = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 is the primary channel, 2 the first fallback... Blank: not used."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [models.F("position").asc(nulls_last=True), "key"]
        verbose_name = "delivery channel"

    def __str__(self) -> str:
        return self.get_key_display()


class Message(models.Model):
    """One message to one address on one channel: the log, and the record of what the provider said."""

    # A log row, written on every send: Wagtail's reference index (template "usage") cost ~15% of a send's
    # CPU and a row per message for nothing anyone reads (docs/benchmarks.md).
    wagtail_reference_index_ignore = True

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recipient_name = models.CharField(max_length=150, blank=True)
    # Blank once past the scanner-data retention: the record stays, the address goes.
    to = EncryptedCharField(max_length=254, blank=True, help_text="Phone number (E.164) or email address.")
    # keyed_hash(address_key(to)): replies and flagged addresses match on this.
    address_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    channel = models.CharField(max_length=32, choices=Channel.choices)
    kind = models.CharField(max_length=32, choices=TemplateKind.choices, blank=True)
    subject_line = EncryptedCharField(max_length=200, blank=True)
    content = EncryptedTextField()
    template = models.ForeignKey(MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True)
    template_revision = models.ForeignKey(
        "wagtailcore.Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    provider_template = EncryptedJSONField(
        default=dict, blank=True, help_text="WhatsApp template name, language and parameters sent, if any."
    )
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    provider_message_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    # Providers quote the address in their errors ("The 'To' number +52... is not valid").
    error_message = EncryptedTextField(blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_action = models.CharField(max_length=16, blank=True, help_text="retry, switch or stop")
    retry_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Message #{self.pk} · {self.get_channel_display()} · {self.status}"


class InboundMessage(models.Model):
    """A reply a recipient sent us (WhatsApp or SMS); the handler of `messaging.inbound` answers it."""

    channel = models.CharField(max_length=32, choices=Channel.choices)
    from_address = EncryptedCharField(max_length=254, blank=True)
    address_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    body = EncryptedTextField(blank=True)
    # A WhatsApp button's payload (Meta `button.payload` / `interactive.button_reply.id`, Twilio `ButtonPayload`).
    payload = models.CharField(max_length=256, blank=True, default="", db_default="")
    provider_message_id = models.CharField(max_length=128, unique=True)
    # The provider's reply context: the id of our message this one answers (Meta `context.id`, Twilio
    # `OriginalRepliedMessageSid`), as given. Blank: the provider did not say (SMS never does).
    context_provider_id = models.CharField(max_length=128, blank=True, default="", db_default="")
    # The message this answers: the one the reply context names; else whatever the registered handler matched
    # (inbound_link); else the latest message sent to the address, as a guess for the record.
    in_reply_to = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What we answered (an SMS report's confirmation to the finder, a reply's acknowledgement or options): in the
    # webhook's own response where the provider allows it (Twilio), else sent as `answer` (Meta).
    auto_reply = EncryptedTextField(blank=True)
    answer = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"Reply #{self.pk} · {self.get_channel_display()}"


class ConversationWindow(models.Model):
    """WhatsApp's 24-hour customer-service window, per address and channel: opened (and kept open) by every
    message or button tap the address sends us on that channel. Inside it free-form text is delivered; outside
    it only an approved template is (services.messages.message_send enforces it)."""

    address_hash = models.CharField(max_length=64)
    channel = models.CharField(max_length=32, choices=Channel.choices)
    last_inbound_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["address_hash", "channel"], name="conversation_window_unique")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.last_inbound_at:%Y-%m-%d %H:%M}"


class FlagReason(models.TextChoices):
    UNREACHABLE = "unreachable", "The provider keeps failing to reach it"
    WRONG_NUMBER = "wrong_number", "Its holder says it is a wrong number"


class FlaggedAddress(models.Model):
    """An address to look at: one a provider keeps failing to reach (Twilio 30003 twice), shown to staff to
    check; or one whose holder answered "wrong number", which nothing is sent to any more (channel_next skips
    it on every channel). Matched on the address's keyed hash, so one wrong-number row covers SMS and WhatsApp.
    """

    channel = models.CharField(max_length=32, choices=Channel.choices)
    address_hash = models.CharField(max_length=64, db_index=True)
    code = models.CharField(max_length=32)
    reason = models.CharField(
        max_length=16, choices=FlagReason.choices, default=FlagReason.UNREACHABLE, db_default=FlagReason.UNREACHABLE
    )
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    flagged_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "address_hash"], name="flagged_address_unique")]
        verbose_name_plural = "flagged addresses"

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · code {self.code}"
