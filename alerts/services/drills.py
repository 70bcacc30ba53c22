"""The monthly reachability drill: does an alarm still reach everyone it would go to?

Each custodian who did not opt out, each of their subjects' doctors and emergency contacts gets one message
(kind DRILL, an editor-kept template) on the first channel an alarm would use for them. It says who Keryu is,
that this is the monthly check for the subject and nothing is wrong, and asks for a one-word reply.

Each check is judged by what its channel can report (messaging.channels):
- a refusal at send time or a failed/undelivered receipt flags it when the provider's code blames the address;
  a failure of ours (configuration, a template Meta has not approved, WhatsApp's window, a limit) does not:
  the check is "not checked" and the recipient's next channel is tried;
- channels with delivery receipts (WhatsApp, SMS) are flagged when no receipt came within the window;
  channels without (email) are judged by refusal or bounce only: silence there is the normal case.

A flag is news for the custodian: one message listing this round's flags (alerts.services.drill_notices)
and a panel on their Wagtail dashboard (alerts.dashboard). A flag clears when the address answers: a message
from it (`reachability_answered`, called for every inbound message) or a later drill delivered to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from messaging.channels import (
    CHANNEL_FAMILIES,
    ChannelError,
    channel_address,
    channel_family,
    channel_reports_delivery,
    failure_blames_address,
)
from messaging.models import Message, MessageStatus
from messaging.services import channel_next, message_compose, message_send
from registry.models import Custodian, EmergencyContact, Subject

from ..models import ReachabilityCheck, ReachabilityVerdict, RecipientKind
from .drill_notices import reachability_notices_send
from .recipients import recipient_preferred

log = logging.getLogger(__name__)

# A custodian drilled this recently is not drilled again: a redelivered or re-run drill task sends nothing twice.
DRILL_REPEAT_AFTER = timedelta(days=7)

# How the drill names the recipient's part, in the recipient's language.
ROLES: dict[str, Promise] = {
    RecipientKind.CUSTODIAN: gettext_lazy("their custodian"),
    RecipientKind.CONTACT: pgettext_lazy("drill role", "an emergency contact"),
    RecipientKind.DOCTOR: gettext_lazy("their doctor"),
}
AWAITING = (MessageStatus.PENDING, MessageStatus.SENT)


@dataclass
class DrillRecipient:
    """One address an alarm would reach, with every subject it is listed for."""

    kind: str
    name: str
    language: str
    preferred: str | None
    phone: str
    email: str
    subject_names: list[str] = field(default_factory=list)
    contact: EmergencyContact | None = None
    subject: Subject | None = None


def drill_recipients(*, custodian: Custodian) -> list[DrillRecipient]:
    """The custodian, then each doctor and emergency contact of their active subjects, once per address (a
    grandmother listed for two grandchildren gets one message naming both)."""
    subjects = list(
        custodian.subjects.filter(is_active=True, archived_at__isnull=True).prefetch_related("contacts").order_by("pk")
    )
    if not subjects:
        return []
    own = DrillRecipient(
        kind=RecipientKind.CUSTODIAN,
        name=custodian.user.first_name or str(custodian),
        language=custodian.language,
        preferred=recipient_preferred(kind=RecipientKind.CUSTODIAN, custodian=custodian, contact=None),
        phone=str(custodian.phone_number) if custodian.phone_number else "",
        email=custodian.email or "",
        subject_names=[s.first_name for s in subjects],
    )
    others: dict[tuple[str, str, str], DrillRecipient] = {}
    for subject in subjects:
        if subject.doctor_phone:
            phone = str(subject.doctor_phone)
            found = others.setdefault(
                (RecipientKind.DOCTOR, phone, ""),
                DrillRecipient(
                    kind=RecipientKind.DOCTOR,
                    name=subject.doctor_name or gettext("Doctor"),
                    language=custodian.language,
                    preferred=recipient_preferred(kind=RecipientKind.DOCTOR, custodian=None, contact=None),
                    phone=phone,
                    email="",
                    subject=subject,
                ),
            )
            found.subject_names.append(subject.first_name)
        for contact in sorted(subject.contacts.all(), key=lambda c: (c.sort_order or 0, c.pk)):
            phone = str(contact.phone_number) if contact.phone_number else ""
            email = (contact.email or "").lower()
            # Contacts without any address are each their own (flagged) check, never merged.
            key = (
                (RecipientKind.CONTACT, phone, email)
                if phone or email
                else (RecipientKind.CONTACT, str(contact.pk), "")
            )
            found = others.setdefault(
                key,
                DrillRecipient(
                    kind=RecipientKind.CONTACT,
                    name=contact.name,
                    language=contact.language,
                    preferred=recipient_preferred(kind=RecipientKind.CONTACT, custodian=None, contact=contact),
                    phone=phone,
                    email=contact.email or "",
                    contact=contact,
                    subject=subject,
                ),
            )
            found.subject_names.append(subject.first_name)
    return [own, *others.values()]


def reachability_drill() -> int:
    """Drill everyone an alarm would reach, for every custodian who did not opt out. Returns how many
    recipients were sent their drill."""
    recent = timezone.now() - DRILL_REPEAT_AFTER
    custodians = Custodian.objects.select_related("user").filter(
        drill_opt_out=False, archived_at__isnull=True, user__is_active=True
    )
    sent = 0
    for custodian in custodians.order_by("pk"):
        if ReachabilityCheck.objects.filter(custodian=custodian, created_at__gte=recent).exists():
            continue
        for recipient in drill_recipients(custodian=custodian):
            sent += _drill_one(custodian=custodian, recipient=recipient)
    reachability_notices_send()
    log.info("reachability drill sent=%s", sent)
    return sent


def drill_context(*, recipient: DrillRecipient) -> dict[str, object]:
    """What the DRILL template fills in, in the recipient's language."""
    with translation.override(recipient.language):
        return {
            "recipient_name": recipient.name,
            "subject_name": get_text_list(list(dict.fromkeys(recipient.subject_names)), gettext("and")),
            "role": str(ROLES[recipient.kind]),
            "site_url": settings.KERYU_PUBLIC_BASE_URL + "/",
        }


def _drill_one(*, custodian: Custodian, recipient: DrillRecipient, tried: set[str] | None = None) -> int:
    """Try the recipient's channels in an alarm's order (after those `tried`) until one says something about
    the address."""
    who = {
        "custodian": custodian,
        "recipient_kind": recipient.kind,
        "recipient_name": recipient.name[:150],
        "contact": recipient.contact,
        "subject": recipient.subject,
    }
    tried = set() if tried is None else tried
    while channel := channel_next(
        preferred=recipient.preferred, phone=recipient.phone, email=recipient.email, tried=tried
    ):
        tried.add(channel)
        message = message_compose(
            kind="DRILL",
            language=recipient.language,
            channel=channel,
            to=channel_address(channel, phone=recipient.phone, email=recipient.email),
            context=drill_context(recipient=recipient),
            owner=custodian.user,
            recipient_name=recipient.name,
        )
        check = ReachabilityCheck.objects.create(
            **who, message=message, channel=channel, address_hash=message.address_hash
        )
        try:
            message_send(message=message)
        except ChannelError as exc:
            if exc.uncertain:  # the provider may have it: its receipt (or the window) decides
                _set(check, MessageStatus.SENT)
                return 1
            if exc.permanent and _judge_failure(check=check, code=exc.code or "", action=exc.action):
                return 0
            _not_checked(check=check, code=exc.code or exc.action, followed_up=True)
            continue
        ReachabilityCheck.objects.filter(pk=check.pk, status=MessageStatus.PENDING).update(status=MessageStatus.SENT)
        return 1
    if not tried:
        ReachabilityCheck.objects.create(
            **who, status=MessageStatus.FAILED, flagged=True, reason="No phone or email to reach them on."
        )
    return 0


def _set(check: ReachabilityCheck, status: str, **fields: object) -> None:
    ReachabilityCheck.objects.filter(pk=check.pk).update(status=status, checked_at=timezone.now(), **fields)


def _not_checked(*, check: ReachabilityCheck, code: str, followed_up: bool = False) -> None:
    """The failure was ours: nothing is known of the address on this channel. `followed_up`: the next channel
    is being tried right now (otherwise the hourly run does it, reachability_follow_up)."""
    reason = f"Keryu could not send on this channel ({code})."
    fields: dict[str, object] = {"flagged": False, "reason": reason}
    if followed_up:
        fields["followed_up"] = True
    _set(check, ReachabilityVerdict.NOT_CHECKED, **fields)


def _judge_failure(*, check: ReachabilityCheck, code: str, action: str, status: str = "") -> bool:
    """A failed send or receipt: flag the check if the provider's code blames the address. Returns whether it
    did; otherwise the check is "not checked" (the failure was ours, the address is untested)."""
    if not failure_blames_address(code=code, action=action):
        _not_checked(check=check, code=code or action)
        return False
    status = status or MessageStatus.FAILED
    reason = f"{channel_family(check.channel) or check.channel}: {status}" + (f" (code {code})" if code else "") + "."
    ReachabilityCheck.objects.filter(pk=check.pk).exclude(status=ReachabilityVerdict.ANSWERED).update(
        status=status, flagged=True, reason=reason[:200], checked_at=timezone.now()
    )
    return True


# The receipts a drill message's check takes as its own status (a check's status is its message's, or a verdict).
RECEIPTS = (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.UNDELIVERED, MessageStatus.FAILED)


def reachability_status(*, message: Message, status: str) -> None:
    """Provider news for a drill message (messaging's message_status_changed)."""
    if status not in RECEIPTS:
        return
    check = ReachabilityCheck.objects.filter(message_id=message.pk).first()
    if check is None:
        return
    if status in (MessageStatus.FAILED, MessageStatus.UNDELIVERED):
        _judge_failure(check=check, code=message.error_code, action=message.error_action, status=status)
        return
    ReachabilityCheck.objects.filter(pk=check.pk).exclude(status=ReachabilityVerdict.ANSWERED).update(
        status=status, flagged=False, reason="", checked_at=timezone.now()
    )
    _flags_clear(check=check, reason="A later check reached them.")


def _family(channel: str) -> tuple[str, ...]:
    return CHANNEL_FAMILIES.get(channel_family(channel), (channel,))


def _flags_clear(*, check: ReachabilityCheck, reason: str) -> int:
    """Lift the flags of earlier checks on the same address and kind of channel: it has been reached since."""
    if not check.address_hash:
        return 0
    return ReachabilityCheck.objects.filter(
        flagged=True,
        address_hash=check.address_hash,
        channel__in=_family(check.channel),
        created_at__lte=check.created_at,
    ).update(flagged=False, cleared_at=timezone.now(), reason=reason)


def reachability_answered(*, channel: str, address_hash: str) -> int:
    """A message came in from this address on this channel: it answers. Its flags on that kind of channel
    clear and its drills still waiting for a receipt count as answered. Returns how many flags cleared.

    Called for every inbound message (alerts.receivers, on messaging's inbound_message_received); idempotent.
    """
    if not address_hash:
        return 0
    now = timezone.now()
    mine = ReachabilityCheck.objects.filter(address_hash=address_hash, channel__in=_family(channel))
    with transaction.atomic():
        cleared = mine.filter(flagged=True).update(flagged=False, cleared_at=now, reason="Answered.")
        mine.filter(status__in=AWAITING).update(status=ReachabilityVerdict.ANSWERED, checked_at=now)
    if cleared:
        log.info("reachability flags cleared by an answer count=%s", cleared)
    return cleared


def reachability_window_close() -> int:
    """Drills past the window without news: on a channel with receipts, no receipt is a flag; on one without
    (email), no refusal or bounce is all it can say, and that is a pass. Returns how many were flagged."""
    hours = settings.KERYU_DRILL_DELIVERY_WINDOW_HOURS
    overdue = ReachabilityCheck.objects.filter(
        status__in=AWAITING, created_at__lt=timezone.now() - timedelta(hours=hours)
    )
    channels = set(overdue.values_list("channel", flat=True))
    with_receipts = [c for c in channels if channel_reports_delivery(c)]
    now = timezone.now()
    flagged = overdue.filter(channel__in=with_receipts).update(
        status=ReachabilityVerdict.SILENT, flagged=True, reason=f"No delivery receipt within {hours} h.", checked_at=now
    )
    for check in overdue.exclude(channel__in=with_receipts):
        _set(check, ReachabilityVerdict.ACCEPTED, flagged=False, reason=f"Accepted; no refusal or bounce in {hours} h.")
        _flags_clear(check=check, reason="A later check was accepted without a bounce.")
    return flagged


def reachability_follow_up() -> int:
    """Drills our side could not deliver after the send (a receipt such as WhatsApp's 24-hour window, Twilio
    63016) go on to the recipient's next channel: from the hourly run, never from the webhook that brought the
    news (no provider call inside a webhook's transaction). Once per check. Returns how many went out."""
    since = timezone.now() - DRILL_REPEAT_AFTER
    pending = ReachabilityCheck.objects.filter(
        status=ReachabilityVerdict.NOT_CHECKED, followed_up=False, created_at__gte=since
    ).select_related("custodian__user")
    sent = 0
    for check in pending.order_by("pk")[:500]:
        if not ReachabilityCheck.objects.filter(pk=check.pk, followed_up=False).update(followed_up=True):
            continue
        same = ReachabilityCheck.objects.filter(
            custodian_id=check.custodian_id,
            recipient_kind=check.recipient_kind,
            contact=check.contact_id,
            subject=check.subject_id,
            created_at__gte=since,
        )
        if same.exclude(status=ReachabilityVerdict.NOT_CHECKED).exists():
            continue  # judged on another channel already
        recipient = next((r for r in drill_recipients(custodian=check.custodian) if _is_for(check, r)), None)
        if recipient is not None:
            tried = set(same.values_list("channel", flat=True))
            sent += _drill_one(custodian=check.custodian, recipient=recipient, tried=tried)
    return sent


def _is_for(check: ReachabilityCheck, recipient: DrillRecipient) -> bool:
    return (
        recipient.kind == check.recipient_kind
        and (recipient.contact.pk if recipient.contact else None) == check.contact_id
        and (recipient.subject.pk if recipient.subject else None) == check.subject_id
    )


def reachability_settle() -> int:
    """The hourly run: close the window on overdue drills, follow up those our side could not deliver, then
    tell custodians of new flags. Returns how many were flagged for silence."""
    flagged = reachability_window_close()
    reachability_follow_up()
    reachability_notices_send()
    return flagged
