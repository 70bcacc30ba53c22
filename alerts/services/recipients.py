"""Who an alarm goes to, on which channels, and how to reach them. Addresses are read at send time."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings

from messaging import selectors as messaging_selectors

from ..models import Alarm, EscalationPolicy, NotificationAttempt, RecipientKind, SituationType

if TYPE_CHECKING:
    from registry.models import Custodian

log = logging.getLogger(__name__)

# The shipped policy; staff override it with EscalationPolicy rows (alerts admin).
DEFAULT_POLICIES: dict[str, dict[str, object]] = {
    SituationType.INJURED: {"contacts_at_once": True, "notify_contacts": True, "notify_doctor": True},
    SituationType.LOST: {"contact_delay_seconds": 300, "ack_timeout_seconds": 600},
    SituationType.CONTACT: {"contact_delay_seconds": 1800, "ack_timeout_seconds": 3600},
    SituationType.TEST: {"notify_contacts": False, "max_depth": 0},
}

FAMILY = {
    "meta_whatsapp": "whatsapp",
    "twilio_whatsapp": "whatsapp",
    "twilio_sms": "sms",
    "email": "email",
    "development": "development",
}


def policy_for(situation_type: str) -> EscalationPolicy:
    """The staff-edited row, or an unsaved one carrying the shipped defaults."""
    policy = EscalationPolicy.objects.filter(situation_type=situation_type).first()
    return policy or EscalationPolicy(situation_type=situation_type, **DEFAULT_POLICIES.get(situation_type, {}))


def policies_ensure() -> int:
    """Create missing policy rows with the shipped defaults; never touch a row staff changed."""
    created = 0
    for situation, values in DEFAULT_POLICIES.items():
        created += EscalationPolicy.objects.get_or_create(situation_type=situation, defaults=values)[1]
    return created


def channel_keys(preferred: str | None = None) -> list[str]:
    """messaging's channel order, preferred family first when messaging supports it (works before and after)."""
    try:
        keys = messaging_selectors.channel_order(preferred=preferred)
    except TypeError:
        keys = messaging_selectors.channel_order()
    return list(keys) or ["development"]


@dataclass(frozen=True)
class Recipient:
    kind: str
    key: str
    name: str
    language: str
    preferred: str | None
    custodian_id: int | None = None
    contact_id: int | None = None


def recipients_for(*, alarm: Alarm) -> list[tuple[Recipient, timedelta | None]]:
    """Recipients with their delay (None: at once), following the situation's policy."""
    subject = alarm.subject
    custodian = subject.custodian
    if alarm.situation_type == SituationType.TEST:
        user = alarm.triggered_by or custodian.user
        own = getattr(user, "custodian", None)
        return [
            (
                Recipient(
                    kind=RecipientKind.TRIGGER,
                    key=f"user:{user.pk}",
                    name=user.get_full_name() or user.get_username(),
                    language=getattr(own, "language", None) or custodian.language,
                    preferred=getattr(own, "preferred_channel", "whatsapp") if own else "email",
                    custodian_id=own.pk if own else None,
                ),
                None,
            )
        ]
    policy = policy_for(alarm.situation_type)
    result: list[tuple[Recipient, timedelta | None]] = [
        (
            Recipient(
                kind=RecipientKind.CUSTODIAN,
                key=f"custodian:{custodian.pk}",
                name=str(custodian),
                language=custodian.language,
                preferred=getattr(custodian, "preferred_channel", "whatsapp"),
                custodian_id=custodian.pk,
            ),
            None,
        )
    ]
    if policy.notify_doctor and subject.doctor_phone:
        result.append(
            (
                Recipient(
                    kind=RecipientKind.DOCTOR,
                    key=f"doctor:{subject.pk}",
                    name=subject.doctor_name or "Doctor",
                    language=custodian.language,
                    preferred="whatsapp",
                ),
                None,
            )
        )
    if policy.notify_contacts:
        for index, contact in enumerate(subject.contacts.all().order_by("sort_order", "pk")):
            delay = None if policy.contacts_at_once else timedelta(seconds=policy.contact_delay_seconds * (index + 1))
            result.append(
                (
                    Recipient(
                        kind=RecipientKind.CONTACT,
                        key=f"contact:{contact.pk}",
                        name=contact.name,
                        language=contact.language,
                        preferred=contact.preferred_channel,
                        contact_id=contact.pk,
                    ),
                    delay,
                )
            )
    return result


def _custodian_addresses(custodian: Custodian) -> tuple[str, str]:
    return (str(custodian.phone_number) if custodian.phone_number else "", custodian.email or "")


def attempt_addresses(attempt: NotificationAttempt) -> tuple[str, str]:
    """(phone, email) of the attempt's recipient, read now from the registry."""
    alarm = attempt.alarm
    if attempt.recipient_kind == RecipientKind.CONTACT:
        contact = attempt.contact
        if contact is None:
            return "", ""
        return (str(contact.phone_number) if contact.phone_number else "", contact.email or "")
    if attempt.recipient_kind == RecipientKind.DOCTOR:
        phone = alarm.subject.doctor_phone
        return (str(phone) if phone else "", "")
    if attempt.recipient_kind == RecipientKind.TRIGGER:
        user = alarm.triggered_by or alarm.subject.custodian.user
        own = getattr(user, "custodian", None)
        phone = str(own.phone_number) if own is not None and own.phone_number else ""
        return phone, user.email or ""
    return _custodian_addresses(attempt.custodian or alarm.subject.custodian)


def address_for(channel: str, phone: str, email: str) -> str:
    family = FAMILY.get(channel, "development")
    if family == "email":
        return email
    if family in ("whatsapp", "sms"):
        return phone
    return phone or email


def usable_channels(*, preferred: str | None, phone: str, email: str) -> list[str]:
    """Channel keys, in order, that have an address for this recipient."""
    return [key for key in channel_keys(preferred) if address_for(key, phone, email)]


def recipient_channels(recipient: Recipient, alarm: Alarm) -> list[str]:
    probe = NotificationAttempt(
        alarm=alarm,
        recipient_kind=recipient.kind,
        custodian_id=recipient.custodian_id,
        contact_id=recipient.contact_id,
    )
    phone, email = attempt_addresses(probe)
    return usable_channels(preferred=recipient.preferred, phone=phone, email=email)


def extra_channels_register() -> None:
    """Register channel classes named in KERYU_EXTRA_CHANNELS ("module:Class", ...). For test fakes only."""
    from importlib import import_module

    from messaging.channels import REGISTRY

    for dotted in settings.KERYU_EXTRA_CHANNELS:
        module, _, name = dotted.partition(":")
        cls = getattr(import_module(module), name)
        REGISTRY[cls.key] = cls
        log.warning("extra channel registered key=%s (test configuration)", cls.key)
