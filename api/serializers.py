"""API representations. Scanner IP, user agent and phone numbers of others are never exposed."""

from __future__ import annotations

from typing import cast

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alerts.models import Alarm, NotificationAttempt, SituationType
from messaging.models import Channel, Message, MessageTemplate
from registry.models import Custodian, QRCode, Subject
from registry.selectors import custodians_visible_to, qr_codes_visible_to


class SubjectSerializer(serializers.ModelSerializer):
    custodian = serializers.PrimaryKeyRelatedField(queryset=Custodian.objects.none(), required=False)

    class Meta:
        model = Subject
        fields = [
            "id", "custodian", "name", "date_of_birth", "gender", "medical_conditions", "allergies", "medications",
            "doctor_name", "doctor_phone", "doctor_address", "doctor_speciality", "is_active", "share_photo",
            "share_allergies", "share_conditions", "public_message", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            custodian = cast("serializers.PrimaryKeyRelatedField[Custodian]", self.fields["custodian"])
            # rest_framework-stubs types `queryset` as QuerySet | Manager; mypy reads Manager as a descriptor there.
            custodian.queryset = custodians_visible_to(request.user)  # type: ignore[arg-type]


class QRCodeSerializer(serializers.ModelSerializer):
    short_code = serializers.CharField(read_only=True)
    scan_url = serializers.CharField(read_only=True)

    class Meta:
        model = QRCode
        fields = [
            "id",
            "uuid",
            "subject",
            "is_active",
            "short_code",
            "scan_url",
            "created_at",
            "activated_at",
            "last_used",
        ]
        read_only_fields = ["uuid", "is_active", "created_at", "activated_at", "last_used"]


class AlarmSerializer(serializers.ModelSerializer):
    # Null once its code is deleted (found by schemathesis: the schema said a UUID was always there).
    qr_code: serializers.SlugRelatedField[QRCode] = serializers.SlugRelatedField(
        slug_field="uuid", read_only=True, allow_null=True
    )

    class Meta:
        model = Alarm
        fields = [
            "id", "subject", "qr_code", "timestamp", "situation_type", "description", "location", "latitude",
            "longitude", "is_test", "is_phototaker", "resolved_at", "resolution_notes", "notification_status",
            "notification_attempts", "last_attempt", "notification_error",
        ]  # fmt: skip
        read_only_fields = fields


class AlarmCreateSerializer(serializers.Serializer):
    qr_code = serializers.UUIDField(help_text=_("The UUID of one of your QR codes."))
    situation_type = serializers.ChoiceField(choices=SituationType.choices)
    description = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    location = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True, default=None
    )
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False, allow_null=True, default=None)  # fmt: skip

    def validate_qr_code(self, value):
        code = qr_codes_visible_to(self.context["request"].user).filter(uuid=value, is_active=True).first()
        if code is None:
            raise serializers.ValidationError(_("No active QR code of yours has this UUID."))
        return code

    def validate(self, attrs):
        if (attrs.get("latitude") is None) != (attrs.get("longitude") is None):
            raise serializers.ValidationError(_("Send latitude and longitude together."))
        return attrs


class ResolveSerializer(serializers.Serializer):
    resolution_notes = serializers.CharField(max_length=2000, allow_blank=True, default="")


class NotificationAttemptSerializer(serializers.ModelSerializer):
    message_status = serializers.CharField(source="message.status", default=None, read_only=True)

    class Meta:
        model = NotificationAttempt
        fields = [
            "id",
            "alarm",
            "channel",
            "status",
            "retry_count",
            "error",
            "created_at",
            "sent_at",
            "message",
            "message_status",
        ]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = [
            "id", "recipient_name", "channel", "subject_line", "content", "template", "status", "provider_message_id",
            "error_message", "retry_count", "created_at", "sent_at",
        ]  # fmt: skip
        read_only_fields = fields


class MessageTemplateSerializer(serializers.ModelSerializer):
    # Blank means "every channel" (found by schemathesis: the model's choices alone leave "" out of the enum).
    channel = serializers.ChoiceField(choices=[("", _("Any channel")), *Channel.choices], read_only=True)

    class Meta:
        model = MessageTemplate
        fields = ["id", "name", "kind", "language", "channel", "subject_line", "content", "variables", "is_active"]
        read_only_fields = fields


class RetrySerializer(serializers.Serializer):
    requeued = serializers.IntegerField()
    attempts = NotificationAttemptSerializer(many=True)


class DayCountSerializer(serializers.Serializer):
    date = serializers.DateField()
    alarms = serializers.IntegerField()


class ChannelStatSerializer(serializers.Serializer):
    channel = serializers.CharField()
    attempts = serializers.IntegerField()
    succeeded = serializers.IntegerField()


class StatisticsSerializer(serializers.Serializer):
    """alerts.selectors.Statistics as JSON: the admin statistics view's figures for the caller's alarms."""

    total = serializers.IntegerField()
    per_day = DayCountSerializer(many=True)
    per_situation = serializers.DictField(child=serializers.IntegerField())
    per_channel = ChannelStatSerializer(many=True)
    median_to_delivered = serializers.FloatField(allow_null=True, help_text=_("Seconds."))
    median_to_acknowledged = serializers.FloatField(allow_null=True, help_text=_("Seconds."))

    @classmethod
    def from_statistics(cls, stats) -> StatisticsSerializer:
        return cls(
            {
                "total": stats.total,
                "per_day": [{"date": day, "alarms": n} for day, n in stats.per_day],
                "per_situation": dict(stats.per_situation),
                "per_channel": [{"channel": c, "attempts": a, "succeeded": ok} for c, a, ok in stats.per_channel],
                "median_to_delivered": stats.median_to_delivered,
                "median_to_acknowledged": stats.median_to_acknowledged,
            }
        )
