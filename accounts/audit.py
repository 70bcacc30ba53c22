"""What the audit log (django-auditlog) records, and how sensitive values are hidden.

Change entries keep the changed field names; for phones, addresses, medical details, badge secrets and
OTP keys the values themselves are replaced entirely (auditlog's default mask keeps half the value).
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.contrib.auth.models import User
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from messaging.models import MessageTemplate
from registry.models import Custodian, EmergencyContact, QRCode, Subject

from .models import SignupSettings

MASK = "[hidden]"


def mask_value(value: str) -> str:
    return MASK


def _mask_all_but(model, keep: set[str]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name not in keep]


auditlog.register(User, exclude_fields=["password", "last_login"])
auditlog.register(
    Custodian,
    mask_fields=_mask_all_but(Custodian, {"id", "user", "language", "created_at", "updated_at", "preferred_channel"}),
)
auditlog.register(Subject, mask_fields=_mask_all_but(Subject, {"id", "custodian", "is_active", "created_at"}))
auditlog.register(QRCode, mask_fields=["uuid"])
auditlog.register(EmergencyContact, mask_fields=["name", "phone_number", "email"])
auditlog.register(MessageTemplate)
auditlog.register(TOTPDevice, mask_fields=["key"], exclude_fields=["last_t", "throttling_failure_count"])
auditlog.register(StaticDevice, exclude_fields=["throttling_failure_count"])
auditlog.register(StaticToken, mask_fields=["token"])
auditlog.register(SignupSettings)
