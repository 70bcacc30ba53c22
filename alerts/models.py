"""Alarms raised by scans, and the notification attempts that are their outbox."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


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


class Alarm(models.Model):
    subject = models.ForeignKey("registry.Subject", on_delete=models.CASCADE, related_name="alarms")
    qr_code = models.ForeignKey(
        "registry.QRCode", on_delete=models.SET_NULL, null=True, blank=True, related_name="alarms"
    )
    timestamp = models.DateTimeField(default=timezone.now)
    situation_type = models.CharField(max_length=20, choices=SituationType.choices, default=SituationType.TEST)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    is_test = models.BooleanField(default=False)
    is_phototaker = models.BooleanField(default=False)
    scanner_ip = models.GenericIPAddressField(null=True, blank=True)
    scanner_user_agent = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_notes = models.TextField(blank=True)
    notification_sent = models.BooleanField(default=False)
    notification_status = models.CharField(
        max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    notification_attempts = models.PositiveIntegerField(default=0)
    last_attempt = models.DateTimeField(null=True, blank=True)
    notification_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-timestamp"]
        indexes = [
            models.Index(fields=["subject", "-timestamp"]),
            models.Index(fields=["notification_status"]),
            models.Index(fields=["situation_type", "-timestamp"]),
            models.Index(fields=["-timestamp"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_situation_type_display()} · {self.subject} · {self.timestamp:%Y-%m-%d %H:%M}"


class NotificationAttempt(models.Model):
    """One recipient on one channel for one alarm. Written with the alarm; delivered by a worker."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="attempts")
    custodian = models.ForeignKey(
        "registry.Custodian", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    recipient_key = models.CharField(max_length=64, help_text="Who this is for, e.g. custodian:12.")
    channel = models.CharField(max_length=32)
    status = models.CharField(max_length=20, choices=NotificationStatus.choices, default=NotificationStatus.PENDING)
    message = models.ForeignKey("messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    retry_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alarm", "recipient_key", "channel"], name="alerts_one_attempt_per_recipient_channel"
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"Attempt #{self.pk} · {self.recipient_key} · {self.channel} · {self.status}"
