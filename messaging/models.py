"""The message log and the editor-kept message templates.

`messaging` knows nothing of alarms or custodians: a message has an address, a channel and an owner (the
user whose data it concerns, for scoping), and announces status changes with `signals.message_status_changed`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    DEVELOPMENT = "development", "Development (recorded, not sent)"
    META_WHATSAPP = "meta_whatsapp", "WhatsApp (Meta Cloud API)"
    TWILIO_WHATSAPP = "twilio_whatsapp", "WhatsApp (Twilio)"
    TWILIO_SMS = "twilio_sms", "SMS (Twilio)"
    EMAIL = "email", "Email"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    READ = "read", "Read"
    UNDELIVERED = "undelivered", "Undelivered"
    FAILED = "failed", "Failed"


class TemplateKind(models.TextChoices):
    TEST = "TEST", "Test alarm"
    INJURED = "INJURED", "Subject injured"
    LOST = "LOST", "Subject lost"
    CONTACT = "CONTACT", "Subject needs contact"
    VERIFICATION_CODE = "VERIFICATION_CODE", "Verification code"


class MessageTemplate(models.Model):
    """A text an editor keeps, with `{variables}` filled in at send time."""

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=TemplateKind.choices)
    language = models.CharField(max_length=2, choices=[("es", "Español"), ("en", "English")], default="es")
    channel = models.CharField(
        max_length=32, choices=Channel.choices, blank=True, help_text="Leave blank to use for every channel."
    )
    subject_line = models.CharField(max_length=200, blank=True, help_text="Email subject.")
    content = models.TextField()
    variables = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "language", "channel"]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class Message(models.Model):
    """One message to one address on one channel: the log, and the record of what the provider said."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recipient_name = models.CharField(max_length=150, blank=True)
    to = models.CharField(max_length=254, help_text="Phone number (E.164) or email address.")
    channel = models.CharField(max_length=32, choices=Channel.choices)
    subject_line = models.CharField(max_length=200, blank=True)
    content = models.TextField()
    template = models.ForeignKey(MessageTemplate, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    provider_message_id = models.CharField(max_length=128, null=True, blank=True, unique=True)
    error_message = models.TextField(blank=True)
    retry_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"Message #{self.pk} · {self.get_channel_display()} · {self.status}"
