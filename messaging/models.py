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
from core.fields import optional_link

from .channels import CATALOGUE
from .defaults import SAMPLE_CONTEXT, allowed_variables
from .formatting import sms_segments

# The stored channel keys and their labels, from the adapters (channels.CATALOGUE). Code names a channel by its
# adapter (MetaWhatsAppChannel.key); this is for choices and values. django-stubs types only literal members.
Channel = models.TextChoices(  # type: ignore[call-overload]
    "Channel", [(cls.key.upper(), (cls.key, cls.label)) for cls in CATALOGUE]
)


class MessageStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("Pending")
    SENT = "sent", gettext_lazy("Sent")
    DELIVERED = "delivered", gettext_lazy("Delivered")
    READ = "read", gettext_lazy("Read")
    UNDELIVERED = "undelivered", gettext_lazy("Undelivered")
    FAILED = "failed", gettext_lazy("Failed")


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
    TEST = "TEST", gettext_lazy("Test alarm")
    INJURED = "INJURED", gettext_lazy("Subject injured")
    LOST = "LOST", gettext_lazy("Subject lost")
    CONTACT = "CONTACT", gettext_lazy("Subject needs contact")
    UPDATE = "UPDATE", gettext_lazy("New report on an open alarm")
    INACTIVE_SCAN = "INACTIVE_SCAN", gettext_lazy("Deactivated code scanned")
    ACKNOWLEDGED = "ACKNOWLEDGED", gettext_lazy("Alarm acknowledged (to the others told)")
    RESOLVED = "RESOLVED", gettext_lazy("Alarm resolved (to everyone told)")
    RESOLVED_FINDER = "RESOLVED_FINDER", gettext_lazy("Alarm resolved (to the finder)")
    VERIFICATION_CODE = "VERIFICATION_CODE", gettext_lazy("Verification code")
    DRILL = "DRILL", gettext_lazy("Monthly reachability check")
    DRILL_FLAGGED = "DRILL_FLAGGED", gettext_lazy("Reachability check flagged someone")
    RELAY_TO_FINDER = "RELAY_TO_FINDER", gettext_lazy("Family's message to the finder (relayed)")
    RELAY_TO_FAMILY = "RELAY_TO_FAMILY", gettext_lazy("Finder's message to the family (relayed)")


def template_variables(content: str) -> set[str]:
    """The `{names}` a template's content uses. Raises ValueError on unbalanced braces."""
    return {name for _, name, _, _ in string.Formatter().parse(content) if name is not None}


class MetaApproval(models.TextChoices):
    APPROVED = "APPROVED", gettext_lazy("Approved")
    PENDING = "PENDING", gettext_lazy("Pending review")
    REJECTED = "REJECTED", gettext_lazy("Rejected")
    PAUSED = "PAUSED", gettext_lazy("Paused")
    DISABLED = "DISABLED", gettext_lazy("Disabled")
    FLAGGED = "FLAGGED", gettext_lazy("Flagged")
    IN_APPEAL = "IN_APPEAL", gettext_lazy("In appeal")
    PENDING_DELETION = "PENDING_DELETION", gettext_lazy("Pending deletion")
    DELETED = "DELETED", gettext_lazy("Deleted")
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED", gettext_lazy("Limit exceeded")
    UNKNOWN = "UNKNOWN", gettext_lazy("Unknown (no word from Meta yet)")


class MetaTemplateStatus(models.Model):
    """Meta's verdict on one WhatsApp template, from its `message_template_status_update` webhook.

    Kept apart from MessageTemplate on purpose: the template is revisioned, and publishing an old revision
    must not roll back what Meta said.
    """

    name = models.CharField(max_length=512, verbose_name=gettext_lazy("name"))
    language_code = models.CharField(max_length=16, verbose_name=gettext_lazy("language code"))
    status = models.CharField(
        max_length=32, choices=MetaApproval.choices, default=MetaApproval.UNKNOWN, verbose_name=gettext_lazy("status")
    )
    reason = models.CharField(max_length=255, blank=True, verbose_name=gettext_lazy("reason"))
    meta_template_id = models.CharField(max_length=64, blank=True, verbose_name=gettext_lazy("meta template id"))
    # Meta's category (UTILITY, MARKETING, AUTHENTICATION), from `template_category_update`; blank: not told.
    category = models.CharField(
        max_length=32, blank=True, default="", db_default="", verbose_name=gettext_lazy("category")
    )
    # Meta's quality rating (GREEN, YELLOW, RED, UNKNOWN), from `message_template_quality_update`.
    quality = models.CharField(
        max_length=16, blank=True, default="", db_default="", verbose_name=gettext_lazy("quality")
    )
    # Meta moved it to another category than the one it was submitted under: not sent until approved again.
    recategorised = models.BooleanField(default=False, db_default=False, verbose_name=gettext_lazy("recategorised"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "language_code"], name="meta_template_unique")]
        verbose_name = gettext_lazy("Meta template status")
        verbose_name_plural = gettext_lazy("Meta template statuses")

    def __str__(self) -> str:
        return f"{self.name} ({self.language_code}): {self.get_status_display()}"


class MessageTemplate(WorkflowMixin, DraftStateMixin, LockableMixin, RevisionMixin, PreviewableMixin, models.Model):
    """A text an editor keeps, with `{variables}` filled in at send time.

    Drafts and revisions come from Wagtail: the row's fields are always the live (published) version, so
    senders read the row and never a draft. Staff may assign a Wagtail workflow (Settings -> Workflows) so
    an editor's change goes live only once approved; without one, publishing is the approval step.
    """

    name = models.CharField(max_length=100, verbose_name=gettext_lazy("name"))
    kind = models.CharField(max_length=32, choices=TemplateKind.choices, verbose_name=gettext_lazy("kind"))
    language = models.CharField(
        max_length=2,
        choices=[("es", "Español"), ("en", "English")],
        default="es",
        verbose_name=gettext_lazy("language"),
    )
    channel = models.CharField(
        max_length=32,
        choices=Channel.choices,
        blank=True,
        help_text=gettext_lazy("Leave blank to use for every channel."),
        verbose_name=gettext_lazy("channel"),
    )
    subject_line = models.CharField(
        max_length=200, blank=True, help_text=gettext_lazy("Email subject."), verbose_name=gettext_lazy("subject line")
    )
    content = models.TextField(
        help_text=gettext_lazy("Use {variables} from the list below; anything else is refused."),
        verbose_name=gettext_lazy("content"),
    )
    variables = models.JSONField(
        default=list,
        blank=True,
        help_text=gettext_lazy("The variables the content uses."),
        verbose_name=gettext_lazy("variables"),
    )
    is_active = models.BooleanField(default=True, verbose_name=gettext_lazy("is active"))
    whatsapp_template_name = models.CharField(
        max_length=512,
        blank=True,
        help_text=gettext_lazy("Meta template name, e.g. qr_template_on_m. Blank: send as text."),
        verbose_name=gettext_lazy("whatsapp template name"),
    )
    whatsapp_language_code = models.CharField(
        max_length=16,
        blank=True,
        help_text=gettext_lazy("Meta language code, e.g. es_MX."),
        verbose_name=gettext_lazy("whatsapp language code"),
    )
    whatsapp_parameters = models.CharField(
        max_length=300,
        blank=True,
        help_text=gettext_lazy(
            "Variables filling the WhatsApp template's {{1}}, {{2}}, ... in order, comma separated."
        ),
        verbose_name=gettext_lazy("whatsapp parameters"),
    )
    twilio_content_sid = models.CharField(
        max_length=64,
        blank=True,
        help_text=gettext_lazy("Twilio Content SID (HX...) of the same template for Twilio WhatsApp."),
        verbose_name=gettext_lazy("twilio content sid"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="messagetemplate")

    class Meta:
        verbose_name = gettext_lazy("message template")
        verbose_name_plural = gettext_lazy("message templates")
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

    key = models.CharField(max_length=32, choices=Channel.choices, unique=True, verbose_name=gettext_lazy("key"))
    position = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=gettext_lazy("1 is the primary channel, 2 the first fallback... Blank: not used."),
        verbose_name=gettext_lazy("position"),
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name_plural = gettext_lazy("delivery channels")
        ordering = [models.F("position").asc(nulls_last=True), "key"]
        verbose_name = gettext_lazy("delivery channel")

    def __str__(self) -> str:
        return self.get_key_display()


def owner_link() -> models.ForeignKey[Any, Any]:
    """The user whose data a message (sent or received) concerns: what scoping reads (messaging.selectors). Their
    messages go with their account."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("owner"),
    )


class Message(models.Model):
    """One message to one address on one channel: the log, and the record of what the provider said."""

    # A log row, written on every send: Wagtail's reference index (template "usage") cost ~15% of a send's
    # CPU and a row per message for nothing anyone reads (docs/benchmarks.md).
    wagtail_reference_index_ignore = True

    owner = owner_link()
    recipient_name = models.CharField(max_length=150, blank=True, verbose_name=gettext_lazy("recipient name"))
    # Blank once past the scanner-data retention: the record stays, the address goes.
    to = EncryptedCharField(
        max_length=254,
        blank=True,
        help_text=gettext_lazy("Phone number (E.164) or email address."),
        verbose_name=gettext_lazy("to"),
    )
    # keyed_hash(address_key(to)): replies and flagged addresses match on this.
    address_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=gettext_lazy("address hash")
    )
    channel = models.CharField(max_length=32, choices=Channel.choices, verbose_name=gettext_lazy("channel"))
    kind = models.CharField(max_length=32, choices=TemplateKind.choices, blank=True, verbose_name=gettext_lazy("kind"))
    subject_line = EncryptedCharField(max_length=200, blank=True, verbose_name=gettext_lazy("subject line"))
    content = EncryptedTextField(verbose_name=gettext_lazy("content"))
    template = optional_link(MessageTemplate, verbose_name=gettext_lazy("template"), related_name=None)
    template_revision = optional_link("wagtailcore.Revision", verbose_name=gettext_lazy("template revision"))
    provider_template = EncryptedJSONField(
        default=dict,
        blank=True,
        help_text=gettext_lazy("WhatsApp template name, language and parameters sent, if any."),
        verbose_name=gettext_lazy("provider template"),
    )
    status = models.CharField(
        max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING, verbose_name=gettext_lazy("status")
    )
    provider_message_id = models.CharField(
        max_length=128, null=True, blank=True, unique=True, verbose_name=gettext_lazy("provider message id")
    )
    # Providers quote the address in their errors ("The 'To' number +52... is not valid").
    error_message = EncryptedTextField(blank=True, verbose_name=gettext_lazy("error message"))
    error_code = models.CharField(max_length=32, blank=True, verbose_name=gettext_lazy("error code"))
    error_action = models.CharField(
        max_length=16,
        blank=True,
        help_text=gettext_lazy("retry, switch or stop"),
        verbose_name=gettext_lazy("error action"),
    )
    retry_count = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("retry count"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("delivered at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("read at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name = gettext_lazy("message")
        verbose_name_plural = gettext_lazy("messages")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return gettext_lazy("Message #%(pk)s · %(channel)s · %(status)s") % {
            "pk": self.pk,
            "channel": self.get_channel_display(),
            "status": self.get_status_display(),
        }


class InboundMessage(models.Model):
    """A reply a recipient sent us (WhatsApp or SMS); the handler of `messaging.inbound` answers it."""

    channel = models.CharField(max_length=32, choices=Channel.choices, verbose_name=gettext_lazy("channel"))
    from_address = EncryptedCharField(max_length=254, blank=True, verbose_name=gettext_lazy("from address"))
    address_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=gettext_lazy("address hash")
    )
    body = EncryptedTextField(blank=True, verbose_name=gettext_lazy("body"))
    # A WhatsApp button's payload (Meta `button.payload` / `interactive.button_reply.id`, Twilio `ButtonPayload`).
    payload = models.CharField(
        max_length=256, blank=True, default="", db_default="", verbose_name=gettext_lazy("payload")
    )
    provider_message_id = models.CharField(
        max_length=128, unique=True, verbose_name=gettext_lazy("provider message id")
    )
    # The provider's reply context: the id of our message this one answers (Meta `context.id`, Twilio
    # `OriginalRepliedMessageSid`), as given. Blank: the provider did not say (SMS never does).
    context_provider_id = models.CharField(
        max_length=128, blank=True, default="", db_default="", verbose_name=gettext_lazy("context provider id")
    )
    # The message this answers: the one the reply context names; else whatever the registered handler matched
    # (inbound_link); else the latest message sent to the address, as a guess for the record.
    in_reply_to = optional_link(Message, verbose_name=gettext_lazy("in reply to"), related_name="replies")
    owner = owner_link()
    # What we answered (an SMS report's confirmation to the finder, a reply's acknowledgement or options): in the
    # webhook's own response where the provider allows it (Twilio), else sent as `answer` (Meta).
    auto_reply = EncryptedTextField(blank=True, verbose_name=gettext_lazy("auto reply"))
    answer = optional_link(Message, verbose_name=gettext_lazy("answer"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("received at"))

    class Meta:
        verbose_name = gettext_lazy("inbound message")
        verbose_name_plural = gettext_lazy("inbound messages")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return gettext_lazy("Reply #%(pk)s · %(channel)s") % {"pk": self.pk, "channel": self.get_channel_display()}


class ConversationWindow(models.Model):
    """WhatsApp's 24-hour customer-service window, per address and channel: opened (and kept open) by every
    message or button tap the address sends us on that channel. Inside it free-form text is delivered; outside
    it only an approved template is (services.messages.message_send enforces it)."""

    address_hash = models.CharField(max_length=64, verbose_name=gettext_lazy("address hash"))
    channel = models.CharField(max_length=32, choices=Channel.choices, verbose_name=gettext_lazy("channel"))
    last_inbound_at = models.DateTimeField(verbose_name=gettext_lazy("last inbound at"))

    class Meta:
        verbose_name = gettext_lazy("conversation window")
        verbose_name_plural = gettext_lazy("conversation windows")
        constraints = [models.UniqueConstraint(fields=["address_hash", "channel"], name="conversation_window_unique")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.last_inbound_at:%Y-%m-%d %H:%M}"


class FlagReason(models.TextChoices):
    UNREACHABLE = "unreachable", gettext_lazy("The provider keeps failing to reach it")
    WRONG_NUMBER = "wrong_number", gettext_lazy("Its holder says it is a wrong number")


class FlaggedAddress(models.Model):
    """An address to look at: one a provider keeps failing to reach (Twilio 30003 twice), shown to staff to
    check; or one whose holder answered "wrong number", which nothing is sent to any more (channel_next skips
    it on every channel). Matched on the address's keyed hash, so one wrong-number row covers SMS and WhatsApp.
    """

    channel = models.CharField(max_length=32, choices=Channel.choices, verbose_name=gettext_lazy("channel"))
    address_hash = models.CharField(max_length=64, db_index=True, verbose_name=gettext_lazy("address hash"))
    code = models.CharField(max_length=32, verbose_name=gettext_lazy("code"))
    reason = models.CharField(
        max_length=16,
        choices=FlagReason.choices,
        default=FlagReason.UNREACHABLE,
        db_default=FlagReason.UNREACHABLE,
        verbose_name=gettext_lazy("reason"),
    )
    message = optional_link(Message, verbose_name=gettext_lazy("message"))
    flagged_at = models.DateTimeField(auto_now=True, verbose_name=gettext_lazy("flagged at"))

    class Meta:
        verbose_name = gettext_lazy("flagged address")
        constraints = [models.UniqueConstraint(fields=["channel", "address_hash"], name="flagged_address_unique")]
        verbose_name_plural = gettext_lazy("flagged addresses")

    def __str__(self) -> str:
        return gettext_lazy("%(channel)s · code %(code)s") % {"channel": self.get_channel_display(), "code": self.code}
