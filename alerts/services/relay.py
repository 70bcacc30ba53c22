"""The masked two-way relay between a finder and the family (issue 15, item 3).

A conversation belongs to one report: the alarm's first one, or a later one that joined it (`scan_event`), so a
later finder never reads what an earlier one was told. The family writes to the finder of the latest report.

Who writes, and how:
- the family (a custodian, emergency contact or doctor the alarm messaged) from their acknowledgement page, or by
  replying to the alarm message with free text once the alarm is acknowledged (alerts.services.replies: before
  that, free text is a note on the timeline and the sender is asked to acknowledge; the conversation opens
  with the acknowledgement, so a finder only ever hears from someone who is on it);
- the finder from their progress page, or, if they reported by text or left a number, by answering a relayed
  text from that number (any text that is not a badge's short code).

Masked: every text goes through Keryu's own sender. A family member's number is added to their message only
when they tick "share my number"; the finder's number reaches the family only if they ticked the scan form's
box (Alarm.finder_phone_shared). Limits: RELAY_MAX characters a message and KERYU_RELAY_RATE messages per
writer and window, each refused with a clear error (ValidationError) that the page shows.

Each message is a RelayMessage row (on the alarm's timeline, its text encrypted, blanked on the scanner-data
schedule). Rows with a number to text are sent by a worker (the `default` queue) through messaging's channel
choice and the editor-kept RELAY_* templates, claimed once like the notices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core.ratelimit import rate_hit
from messaging.formatting import address_hash
from messaging.models import InboundMessage
from messaging.services import message_compose
from registry.models import ContactChannel

from ..models import (
    RELAY_PAGE_ONLY,
    Alarm,
    AlarmSource,
    NoticeStatus,
    NotificationAttempt,
    RecipientKind,
    RelayDirection,
    RelayMessage,
    ScanEvent,
)
from . import recipients as rec
from .delivery import ack_url, publish_safely
from .notices import alarm_handler, claimed_row_text, claimed_rows_sweep, handler_text, row_claim

log = logging.getLogger(__name__)

RELAY_MAX = 500
# Who on the family side may write to the finder: the people an alarm is for (not a test's trigger: no finder).
FAMILY_WRITERS = (RecipientKind.CUSTODIAN, RecipientKind.CONTACT, RecipientKind.DOCTOR)
FINDER_KEY = "finder"


def _finder_language(phone: str) -> str:
    from .reports import sms_language  # reports imports alarms, which imports notices: read at call time

    return sms_language(word_language="", sender=phone)


@dataclass(frozen=True)
class Thread:
    """One report's conversation: the alarm and the later report (None: the alarm's own first report)."""

    alarm: Alarm
    scan_event: ScanEvent | None

    @property
    def report(self) -> Alarm | ScanEvent:
        return self.scan_event or self.alarm

    @property
    def key(self) -> str:
        return f"{self.alarm.pk}:{self.scan_event.pk if self.scan_event else 0}"


def thread_latest(alarm: Alarm) -> Thread:
    """The conversation the family writes into: the latest report's (its finder is the one with the person)."""
    return Thread(alarm, alarm.scan_events.order_by("-timestamp", "-pk").first())


def _clean(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write a message first."), code="empty")
    if len(text) > RELAY_MAX:
        raise ValidationError(
            _("A message holds at most %(max)d characters (this one has %(n)d).") % {"max": RELAY_MAX, "n": len(text)},
            code="too_long",
        )
    return text


def _open(alarm: Alarm) -> None:
    if alarm.is_test:
        raise ValidationError(_("A test alarm has no finder to write to."), code="test")
    if alarm.resolved_at is not None:
        raise ValidationError(_("This alarm is closed: messages are no longer passed on."), code="closed")


def _limit(key: str) -> None:
    verdict = rate_hit(key=f"relay:{key}", rate=settings.KERYU_RELAY_RATE)
    if not verdict.allowed:
        minutes = max(1, round(verdict.retry_after / 60))
        raise ValidationError(
            _("Too many messages in a short time. Please wait %(minutes)d minute(s) and try again.")
            % {"minutes": minutes},
            code="rate_limited",
        )


def relay_from_family(
    *,
    attempt: NotificationAttempt,
    text: str,
    share_number: bool = False,
    via: str = "web",
    inbound: InboundMessage | None = None,
) -> RelayMessage:
    """A family member (the recipient of `attempt`) writes to the finder of the alarm's latest report.

    Only once the alarm is acknowledged and while it is open; within the length and rate limits. Their number
    is added only when `share_number`. Queued for the finder's number if they have one; always on their page.
    """
    alarm = Alarm.objects.select_related("subject__custodian").get(pk=attempt.alarm_id)
    attempt.alarm = alarm
    _open(alarm)
    if attempt.recipient_kind not in FAMILY_WRITERS:
        raise ValidationError(_("Only the family and its contacts write to the finder."), code="not_family")
    if alarm.acknowledged_at is None:
        raise ValidationError(_("Acknowledge the alarm first: then you can write to the finder."), code="not_ack")
    text = _clean(text)
    _limit(f"family:{alarm.pk}:{attempt.recipient_key}")
    handler = alarm_handler(alarm=alarm, attempt=attempt)
    shared = ""
    if share_number:
        phone, email = rec.attempt_addresses(attempt)
        shared = phone or email
    thread = thread_latest(alarm)
    phone = (thread.report.finder_phone or "").strip()
    with transaction.atomic():
        relay = RelayMessage.objects.create(
            alarm=alarm,
            scan_event=thread.scan_event,
            direction=RelayDirection.TO_FINDER,
            sender_role=handler.role,
            sender_name=handler.first_name[:150],
            family_key=attempt.recipient_key,
            attempt=attempt,
            text=text,
            shared_contact=shared[:64],
            via=via,
            inbound=inbound,
            language=_finder_language(phone) if phone else "es",
            status=NoticeStatus.PENDING if phone else RELAY_PAGE_ONLY,
        )
        if phone:
            transaction.on_commit(partial(relay_enqueue, relay_id=relay.pk))
    log.info("relay id=%s alarm=%s to finder via=%s texted=%s", relay.pk, alarm.pk, via, bool(phone))
    return relay


def relay_from_finder(
    *, thread: Thread, text: str, via: str = "web", inbound: InboundMessage | None = None
) -> RelayMessage:
    """The finder of `thread`'s report writes to the family. Texted to the family member who last wrote to them
    in this conversation (on their own channel); shown on every recipient's acknowledgement page either way."""
    alarm = thread.alarm
    _open(alarm)
    text = _clean(text)
    _limit(f"finder:{thread.key}")
    last = (
        _thread_rows(thread)
        .filter(direction=RelayDirection.TO_FINDER, attempt__isnull=False)
        .select_related("attempt")
        .order_by("-created_at", "-pk")
        .first()
    )
    attempt = last.attempt if last is not None else None
    with transaction.atomic():
        relay = RelayMessage.objects.create(
            alarm=alarm,
            scan_event=thread.scan_event,
            direction=RelayDirection.TO_FAMILY,
            sender_role=FINDER_KEY,
            family_key=attempt.recipient_key if attempt else "",
            attempt=attempt,
            text=text,
            via=via,
            inbound=inbound,
            language=attempt.language if attempt else "es",
            status=NoticeStatus.PENDING if attempt else RELAY_PAGE_ONLY,
        )
        if attempt is not None:
            transaction.on_commit(partial(relay_enqueue, relay_id=relay.pk))
    log.info("relay id=%s alarm=%s to family via=%s texted=%s", relay.pk, alarm.pk, via, attempt is not None)
    return relay


def _thread_rows(thread: Thread) -> QuerySet[RelayMessage]:
    return RelayMessage.objects.filter(alarm_id=thread.alarm.pk, scan_event=thread.scan_event)


# --- By text: which conversation an inbound text from a finder belongs to -------------------------------------


def finder_thread_for(*, message: InboundMessage) -> Thread | None:
    """The open conversation whose finder sent `message`: the one a relayed text last went to at this number,
    else a report of an open alarm that gave this number (the last two days'; their numbers are encrypted, so
    read one by one, newest first, at most 200). None: this is no finder's number."""
    sender = message.address_hash or (address_hash(message.from_address) if message.from_address else "")
    if not sender:
        return None
    open_alarm = Q(alarm__resolved_at__isnull=True, alarm__is_test=False)
    sent = (
        RelayMessage.objects.filter(open_alarm, direction=RelayDirection.TO_FINDER, message__address_hash=sender)
        .select_related("alarm", "scan_event")
        .order_by("-created_at", "-pk")
        .first()
    )
    if sent is not None:
        return Thread(sent.alarm, sent.scan_event)
    since = timezone.now() - timedelta(days=2)
    events = ScanEvent.objects.filter(open_alarm, timestamp__gte=since).exclude(finder_phone="")
    for event in events.select_related("alarm").order_by("-timestamp", "-pk")[:200]:
        if address_hash(event.finder_phone) == sender:
            return Thread(event.alarm, event)
    alarms = Alarm.objects.filter(resolved_at__isnull=True, is_test=False, timestamp__gte=since)
    for alarm in alarms.exclude(finder_phone="").order_by("-timestamp", "-pk")[:200]:
        if address_hash(alarm.finder_phone) == sender:
            return Thread(alarm, None)
    return None


ANSWERS = {
    "to_finder": _(
        "Keryu: your message was passed on to the person who found them. Their answers come from this number."
    ),
    "to_family": _("Keryu: your message was passed on to the family."),
}


def relay_answer(kind: str, *, language: str, error: ValidationError | None = None) -> str:
    with translation.override(language):
        if error is not None:
            return "Keryu: " + " ".join(str(m) for m in error.messages)
        return str(ANSWERS[kind])


def relay_text_from_finder(*, message: InboundMessage, thread: Thread) -> str:
    """A finder's text to Keryu's number (not a short code): passed on to the family; the answer for them."""
    language = _finder_language(message.from_address.removeprefix("whatsapp:"))
    with translation.override(language):  # the limits' errors are worded in the finder's language
        try:
            relay_from_finder(thread=thread, text=message.body or "", via=message.channel[:16], inbound=message)
        except ValidationError as exc:
            return relay_answer("to_family", language=language, error=exc)
    return relay_answer("to_family", language=language)


def relay_text_from_family(*, message: InboundMessage, attempt: NotificationAttempt) -> str:
    """A family member's free-text reply to an acknowledged alarm: passed on to the finder; their answer."""
    with translation.override(attempt.language):
        try:
            relay_from_family(attempt=attempt, text=message.body or "", via=message.channel[:16], inbound=message)
        except ValidationError as exc:
            return relay_answer("to_finder", language=attempt.language, error=exc)
    return relay_answer("to_finder", language=attempt.language)


# --- Sending ---------------------------------------------------------------------------------------------------


def relay_enqueue(*, relay_id: int) -> bool:
    from ..tasks import send_relay

    return publish_safely(send_relay, args=[relay_id], what=f"relay id={relay_id}")


def _reach(relay: RelayMessage) -> tuple[str, str, str | None]:
    """(phone, email, preferred family) of whom this message is texted to, read now."""
    if relay.direction == RelayDirection.TO_FINDER:
        report: Alarm | ScanEvent = relay.scan_event or relay.alarm
        preferred = ContactChannel.SMS if report.source == AlarmSource.SMS else None
        return (report.finder_phone or "").strip(), "", preferred
    attempt = relay.attempt
    if attempt is None:
        return "", "", None
    attempt.alarm = relay.alarm
    phone, email = rec.attempt_addresses(attempt)
    return phone, email, rec.attempt_preferred(attempt)


def _context(relay: RelayMessage) -> dict[str, object]:
    with translation.override(relay.language):
        contact = str(_("Their number: %(number)s") % {"number": relay.shared_contact}) if relay.shared_contact else ""
    context: dict[str, object] = {"text": relay.text, "contact": f"{contact}\n" if contact else ""}
    if relay.direction == RelayDirection.TO_FINDER:
        # Never a surname, a number or the person's name: the finder reads a first name and a role.
        context["sender"] = handler_text(first_name=relay.sender_name, role=relay.sender_role, language=relay.language)
        return context
    context["subject_name"] = relay.alarm.subject.first_name
    context["ack_url"] = ack_url(relay.attempt) if relay.attempt is not None else "-"
    return context


def relay_send(*, relay_id: int) -> bool:
    """Text one relayed message, trying the reader's channels in messaging's order. Claimed first, so it goes
    once; a send the provider may have taken (uncertain) is not sent again elsewhere."""
    claimed = row_claim(
        RelayMessage,
        relay_id,
        "alarm__subject__custodian__user",
        "scan_event",
        "attempt__contact",
        "attempt__custodian",
    )
    if claimed is None:
        return False
    relay, now = claimed
    phone, email, preferred = _reach(relay)
    to_finder = relay.direction == RelayDirection.TO_FINDER
    kind = "RELAY_TO_FINDER" if to_finder else "RELAY_TO_FAMILY"
    context = _context(relay)

    return claimed_row_text(
        relay,
        claimed_at=now,
        compose=partial(
            message_compose,
            kind=kind,
            language=relay.language,
            context=context,
            # A finder's number stays out of the family's message log.
            owner=None if to_finder else relay.alarm.subject.custodian.user,
            recipient_name="" if to_finder else (relay.attempt.recipient_name if relay.attempt else ""),
        ),
        preferred=preferred,
        phone=phone,
        email=email,
        label=f"relay id={relay.pk} alarm={relay.alarm_id}",
    )


def relays_sweep(*, older_than: int = 60) -> list[int]:
    """Relayed texts whose task was lost (broker down, worker killed before sending): queued again, for a day."""
    return claimed_rows_sweep(RelayMessage, older_than=older_than, enqueue=lambda pk: relay_enqueue(relay_id=pk))
