"""Who an alarm goes to, on which channels, and how to reach them. Addresses are read at send time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from messaging.services import Reached, channel_next, message_compose, message_send_first
from registry.models import ContactChannel, Custodian, EmergencyContact
from registry.selectors import subject_custodians

from ..models import Alarm, EscalationPolicy, NotificationAttempt, RecipientKind, SituationType

# The shipped policy; staff override it with EscalationPolicy rows (alerts admin). With these a LOST alarm nobody
# answers runs its round (first messages, then two levels 10 min apart) twice, and goes to staff after an hour.
DEFAULT_POLICIES: dict[str, dict[str, object]] = {
    SituationType.INJURED: {"contacts_at_once": True, "notify_contacts": True, "notify_doctor": True, "repeat": 1},
    SituationType.LOST: {"contact_delay_seconds": 300, "ack_timeout_seconds": 600, "repeat": 1},
    SituationType.CONTACT: {"contact_delay_seconds": 1800, "ack_timeout_seconds": 3600, "repeat": 1},
    SituationType.TEST: {"notify_contacts": False, "max_depth": 0, "repeat": 0},
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


@dataclass(frozen=True)
class Recipient:
    kind: str
    key: str
    name: str
    language: str
    preferred: str | None
    custodian_id: int | None = None
    contact_id: int | None = None
    # The registry rows already loaded while choosing recipients: their addresses need no second read.
    custodian: Custodian | None = field(default=None, compare=False, repr=False)
    contact: EmergencyContact | None = field(default=None, compare=False, repr=False)


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
                    language=own.language if own is not None else custodian.language,
                    preferred=recipient_preferred(kind=RecipientKind.TRIGGER, custodian=own, contact=None),
                    custodian_id=own.pk if own is not None else None,
                    custodian=own,
                ),
                None,
            )
        ]
    policy = policy_for(alarm.situation_type)
    # Every custodian of the household at once, the first custodian first, each in their own language and channels.
    result: list[tuple[Recipient, timedelta | None]] = [
        (
            Recipient(
                kind=RecipientKind.CUSTODIAN,
                key=f"custodian:{member.pk}",
                name=str(member),
                language=member.language,
                preferred=recipient_preferred(kind=RecipientKind.CUSTODIAN, custodian=member, contact=None),
                custodian_id=member.pk,
                custodian=member,
            ),
            None,
        )
        for member in subject_custodians(subject) or [custodian]
    ]
    if policy.notify_doctor and subject.doctor_phone:
        result.append(
            (
                Recipient(
                    kind=RecipientKind.DOCTOR,
                    key=f"doctor:{subject.pk}",
                    name=subject.doctor_name or "Doctor",
                    language=custodian.language,
                    preferred=recipient_preferred(kind=RecipientKind.DOCTOR, custodian=None, contact=None),
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
                        preferred=recipient_preferred(kind=RecipientKind.CONTACT, custodian=None, contact=contact),
                        contact_id=contact.pk,
                        contact=contact,
                    ),
                    delay,
                )
            )
    return result


def _custodian_addresses(custodian: Custodian) -> tuple[str, str]:
    return (str(custodian.phone_number) if custodian.phone_number else "", custodian.email or "")


def custodian_message_send(
    *, custodian: Custodian, kind: str, context: Mapping[str, object], label: str, tried: set[str] | None = None
) -> Reached:
    """A message of `kind` to one custodian about their own family (not an alarm's attempt), in their language,
    trying their channels in messaging's order from the one they prefer; `tried` are skipped."""
    phone, email = _custodian_addresses(custodian)
    return message_send_first(
        compose=lambda channel, to: message_compose(
            kind=kind,
            language=custodian.language,
            channel=channel,
            to=to,
            context=context,
            owner=custodian.user,
            recipient_name=str(custodian),
        ),
        preferred=custodian.preferred_channel,
        phone=phone,
        email=email,
        tried=tried,
        label=label,
    )


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


def recipient_preferred(*, kind: str, custodian: Custodian | None, contact: EmergencyContact | None) -> str | None:
    """The channel family a recipient prefers: a contact's and a custodian's own choice; a doctor is
    reached on WhatsApp first; whoever pressed the test button without a custodian profile (staff), by email."""
    if kind == RecipientKind.CONTACT:
        return contact.preferred_channel if contact is not None else None
    if kind == RecipientKind.DOCTOR:
        return ContactChannel.WHATSAPP
    if custodian is not None:
        return custodian.preferred_channel
    return ContactChannel.EMAIL if kind == RecipientKind.TRIGGER else None


def attempt_preferred(attempt: NotificationAttempt) -> str | None:
    """recipient_preferred for the recipient of an existing attempt."""
    custodian = attempt.custodian
    if custodian is None and attempt.recipient_kind == RecipientKind.CUSTODIAN:
        custodian = attempt.alarm.subject.custodian
    return recipient_preferred(kind=attempt.recipient_kind, custodian=custodian, contact=attempt.contact)


def recipient_first_channel(recipient: Recipient, alarm: Alarm) -> str | None:
    """The channel a new recipient is told on first (messaging.services.channel_next); None: unreachable."""
    probe = NotificationAttempt(
        alarm=alarm,
        recipient_kind=recipient.kind,
        custodian_id=recipient.custodian_id,
        contact_id=recipient.contact_id,
    )
    if recipient.custodian is not None:
        probe.custodian = recipient.custodian
    if recipient.contact is not None:
        probe.contact = recipient.contact
    phone, email = attempt_addresses(probe)
    return channel_next(preferred=recipient.preferred, phone=phone, email=email)
