"""Replies to alarm messages: which alarm a reply answers, what it means (alerts.intents), what it changes, and
what the sender is answered (in the recipient's language, from the translation catalogue).

Matching: the provider's reply context (WhatsApp's `context.id`, Twilio's `OriginalRepliedMessageSid`) names our
message, hence its attempt, hence the alarm and the recipient. Without one (SMS, a WhatsApp message typed
without quoting), the most recent message sent to that number about an alarm still open. A number with neither
gets a short neutral answer and changes nothing: a reply is never matched to whatever was last sent to the
number (a drill, a notice, a closed alarm's message).

What each intent does:
- acknowledge: the alarm is acknowledged (the first one wins; the text goes to the finder), but only by a
  recipient of that alarm (ACKNOWLEDGERS); a later one is noted on the timeline;
- can't help: noted on the timeline; the escalation goes on;
- wrong number: the address is flagged (messaging) and nothing more is sent to it: rows still waiting for it
  are cancelled and their recipients move to their next channel at the same time; never acknowledges;
- anything else: noted on the timeline and answered with the options; once the alarm is acknowledged, a
  custodian's, contact's or doctor's free text is a message to the finder instead (alerts.services.relay), on
  the timeline as such, and they are told it was passed on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from messaging.channels import channel_address
from messaging.formatting import address_hash, phone_e164
from messaging.models import InboundMessage
from messaging.services import address_flag_wrong_number, channel_next, inbound_link

from ..intents import PAYLOADS, Intent, Reading, reply_read
from ..models import NotificationAttempt, NotificationStatus, RecipientKind
from . import recipients as rec
from .alarm_status import alarm_status_refresh
from .alarms import alarm_acknowledge
from .delivery import attempt_for_recipient, button_payload_read, enqueue_on_commit, tried_channels
from .notes import alarm_note_from_reply
from .relay import FAMILY_WRITERS, relay_text_from_family
from .reports import sms_language

log = logging.getLogger(__name__)

# Who may acknowledge by replying: the people an alarm is for. TRIGGER is whoever pressed the test button (the
# only recipient of a TEST alarm), so a custodian's test exercises the reply as well.
ACKNOWLEDGERS = (RecipientKind.CUSTODIAN, RecipientKind.CONTACT, RecipientKind.DOCTOR, RecipientKind.TRIGGER)

ANSWERS = {
    "acknowledged": gettext_lazy(
        "Keryu: thank you. The alarm is acknowledged: we stop alerting the others and tell the person who found "
        "them that someone is on it."
    ),
    "already": gettext_lazy("Keryu: thank you. Someone already acknowledged this alarm; your reply is on its record."),
    "cant_help": gettext_lazy("Keryu: understood, thank you. We keep alerting the others."),
    "wrong_number": gettext_lazy("Keryu: sorry for the trouble. We will not send messages to this number again."),
    "options": gettext_lazy(
        "Keryu: your message is on the alarm's record. Reply OK if you are on your way, CAN'T if you cannot help, "
        "or WRONG NUMBER if you do not know this person."
    ),
    "no_alarm": gettext_lazy("Keryu: this number has no open alarm, so nothing was changed. Emergency: %(emergency)s."),
}
DISOWNED = "Cancelled: the holder of this number says it is a wrong number."


def reply_answer(kind: str, *, language: str, emergency_number: str = "") -> str:
    with translation.override(language):
        return str(ANSWERS[kind]) % {"emergency": emergency_number} if kind == "no_alarm" else str(ANSWERS[kind])


def _sender_hash(message: InboundMessage) -> str:
    return message.address_hash or (address_hash(message.from_address) if message.from_address else "")


def reply_match(*, message: InboundMessage) -> NotificationAttempt | None:
    """The alarm attempt `message` answers: the one whose message the provider's reply context names (sent to
    this sender), else the latest one sent to this number about an alarm still open. None: neither."""
    sender = _sender_hash(message)
    if not sender:
        return None
    attempts = NotificationAttempt.objects.select_related("alarm", "message")
    replied = message.in_reply_to if message.context_provider_id else None
    if (
        replied is not None
        and replied.provider_message_id == message.context_provider_id
        and replied.address_hash == sender
    ):
        attempt = attempts.filter(message=replied).first()
        if attempt is not None:
            return attempt
    return (
        attempts.filter(message__address_hash=sender, alarm__resolved_at__isnull=True)
        .exclude(message__provider_message_id=None)
        .order_by("-message__created_at", "-pk")
        .first()
    )


def reply_button(*, message: InboundMessage) -> tuple[Reading, NotificationAttempt] | None:
    """A tap on one of our template's quick-reply buttons: its signed payload names the intent and the attempt
    (alarm and recipient). Only for the address that attempt's message went to; None for anything else."""
    pressed = button_payload_read(message.payload or "")
    if pressed is None or pressed[0] not in PAYLOADS:
        return None
    intent, alarm_id, attempt_id = pressed
    attempt = (
        NotificationAttempt.objects.select_related("alarm", "message").filter(pk=attempt_id, alarm_id=alarm_id).first()
    )
    if attempt is None or attempt.message is None or attempt.message.address_hash != _sender_hash(message):
        return None
    return Reading(PAYLOADS[intent], ""), attempt


def reply_handle(*, message: InboundMessage, emergency_number: str = "911") -> str:
    """Act on a reply to an alarm message and return the answer for its sender (see the module docstring)."""
    button = reply_button(message=message)
    attempt: NotificationAttempt | None
    if button is not None:
        reading, attempt = button
    else:
        reading = reply_read(message.body or "", message.payload or "")
        attempt = reply_match(message=message)
    if attempt is None:
        # Meta gives the sender without '+': phone_e164 lets the country be read from it either way.
        language = reading.language or sms_language(word_language="", sender=phone_e164(message.from_address))
        log.info("reply id=%s matches no open alarm; intent=%s", message.pk, reading.intent)
        return reply_answer("no_alarm", language=language, emergency_number=emergency_number)
    if attempt.message is not None:
        inbound_link(inbound=message, message=attempt.message)
    log.info("reply id=%s alarm=%s attempt=%s intent=%s", message.pk, attempt.alarm_id, attempt.pk, reading.intent)
    if reading.intent == Intent.OTHER and relay_open_to(attempt):
        return relay_text_from_family(message=message, attempt=attempt)
    kind = _act(message=message, attempt=attempt, reading=reading)
    return reply_answer(kind, language=attempt.language, emergency_number=emergency_number)


def relay_open_to(attempt: NotificationAttempt) -> bool:
    """Whether the recipient's free text goes to the finder: the alarm is acknowledged and open, has a finder
    (not a test), and the recipient is family, a contact or the doctor."""
    alarm = attempt.alarm
    return (
        alarm.acknowledged_at is not None
        and alarm.resolved_at is None
        and not alarm.is_test
        and attempt.recipient_kind in FAMILY_WRITERS
    )


def _act(*, message: InboundMessage, attempt: NotificationAttempt, reading: Reading) -> str:
    """What the reply changes; returns which answer its sender gets."""
    alarm = attempt.alarm
    text = (message.body or "").strip()
    if reading.intent == Intent.WRONG_NUMBER:
        # A fact about the address, whatever the state of the alarm it answered.
        reply_wrong_number(message=message, attempt=attempt)
        return "wrong_number"
    if alarm.resolved_at is not None:
        return "no_alarm"
    if reading.intent == Intent.ACKNOWLEDGE and attempt.recipient_kind in ACKNOWLEDGERS:
        if alarm_acknowledge(alarm_id=alarm.pk, attempt_id=attempt.pk, note=text, via="reply"):
            return "acknowledged"
        alarm_note_from_reply(attempt=attempt, text=f"Also acknowledged: {text}")
        return "already"
    if reading.intent == Intent.CANT_HELP:
        alarm_note_from_reply(attempt=attempt, text=f"Cannot help: {text}")
        return "cant_help"
    alarm_note_from_reply(attempt=attempt, text=text or "(an empty reply)")
    return "options"


def reply_wrong_number(*, message: InboundMessage, attempt: NotificationAttempt) -> list[int]:
    """Flag the sender's address, stop what still waits to go to it, and say so on the alarm's timeline.
    Acknowledges nothing and leaves every other recipient's messages as they were. Returns the cancelled rows."""
    flag = address_flag_wrong_number(channel=message.channel, address=message.from_address, message=attempt.message)
    cancelled = attempts_stop_for_address(key=flag.address_hash, now=timezone.now())
    said = (message.body or "").strip()
    alarm_note_from_reply(
        attempt=attempt,
        text=f"Wrong number: {said}\nThe number is flagged and gets no more messages ({len(cancelled)} cancelled).",
    )
    return cancelled


def attempts_stop_for_address(*, key: str, now: datetime) -> list[int]:
    """Rows still waiting to go (PENDING) to the address whose hash is `key`, on open alarms: each is cancelled
    (claimed by a conditional update) and its recipient gets their next channel instead (channel_next skips the
    flagged address), due when the cancelled row was. Returns the cancelled rows' ids."""
    waiting = NotificationAttempt.objects.filter(
        status=NotificationStatus.PENDING, alarm__resolved_at__isnull=True
    ).select_related("alarm__subject__custodian", "alarm__triggered_by", "custodian", "contact")
    cancelled: list[int] = []
    alarms: set[int] = set()
    for attempt in waiting.order_by("pk")[:1000]:
        phone, email = rec.attempt_addresses(attempt)
        to = channel_address(attempt.channel, phone=phone, email=email)
        if not to or address_hash(to) != key:
            continue
        if not NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.PENDING).update(
            status=NotificationStatus.CANCELLED, error=DISOWNED, updated_at=now
        ):
            continue
        cancelled.append(attempt.pk)
        alarms.add(attempt.alarm_id)
        channel = channel_next(
            preferred=rec.attempt_preferred(attempt), phone=phone, email=email, tried=tried_channels(attempt)
        )
        if channel is not None:
            _attempt_instead(attempt=attempt, channel=channel, now=now)
    for alarm_id in sorted(alarms):
        alarm_status_refresh(alarm_id=alarm_id)
    if cancelled:
        log.info("wrong number: cancelled attempts=%s", cancelled)
    return cancelled


def _attempt_instead(*, attempt: NotificationAttempt, channel: str, now: datetime) -> None:
    """The cancelled row's recipient on `channel`, due when it was; once (the unique constraint)."""
    due = attempt.not_before if attempt.not_before is not None and attempt.not_before > now else None
    try:
        with transaction.atomic():
            new = attempt_for_recipient(
                attempt, channel=channel, wave=attempt.wave, update_seq=attempt.update_seq, not_before=due
            )
            if due is None:
                enqueue_on_commit(new.pk)
    except IntegrityError:
        return
