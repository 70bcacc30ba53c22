"""Delivering attempts: claim once, send outside any lock, retry, fall back to the next channel.

The attempt rows are the outbox. A row moves PENDING -> PROCESSING by a conditional update (the claim);
only the worker whose update changed the row calls the provider. Failures either put the row back to
PENDING with a `not_before` (transient: the task retries with backoff) or end it (FAILED) and create the
recipient's next channel, so nothing depends on a task surviving in the broker.

Sent once per channel: a marker (`dispatched_at`) is committed just before the provider call. From then on
a lost answer, a lost lease or a lost database connection makes the send UNCERTAIN (the provider may have
it), never PENDING again: it waits for the receipt, and without one the sweeper moves the recipient on.
"""

from __future__ import annotations

import logging
import threading
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.breaker import Breaker
from messaging.channels import ChannelError, channel_address
from messaging.defaults import DEFAULTS
from messaging.models import MessageStatus
from messaging.selectors import address_hash_disowned, addresses_disowned
from messaging.services import channel_next, message_compose, message_send, template_find
from messaging.services.flags import WRONG_NUMBER_CODE
from messaging.services.templates import FIND, TemplateLookup
from messaging.whatsapp_templates import BUTTON_INTENTS

from ..models import Alarm, NotificationAttempt, NotificationStatus, ScanEvent, SituationType
from . import recipients as rec
from .alarm_status import alarm_status_refresh, alarm_status_sent
from .staff import staff_alert

if TYPE_CHECKING:
    from celery import Task

    from messaging.models import Message, MessageTemplate

log = logging.getLogger(__name__)

MAX_RETRIES = 3
ACK_SALT = "alerts.ack"
# The provider's answer is what these wait for: the send's own answer, or the receipt standing in for it.
ANSWER_AWAITED = (NotificationStatus.PROCESSING, NotificationStatus.UNCERTAIN, NotificationStatus.UNCONFIRMED)
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds before a task whose database connection dropped tries again: a new connection, not the lease.
DB_RETRY_COUNTDOWN = 2.0
DB_MAX_RETRIES = 10


def retry_delay(retry_count: int) -> float:
    """Exponential backoff: base, 2x base, 4x base."""
    return settings.KERYU_RETRY_BASE_DELAY * 2.0 ** max(retry_count - 1, 0)


# Per process: after a publish that failed or timed out, skip publishing for KERYU_ENQUEUE_BACKOFF seconds.
_broker = Breaker(open_seconds=lambda: settings.KERYU_ENQUEUE_BACKOFF)


def attempt_enqueue(
    *, attempt_id: int, countdown: float | None = None, options: dict[str, str | int] | None = None
) -> bool:
    """Queue delivery without ever holding up the caller for long; a row not queued stays PENDING and the
    sweeper queues it once the broker answers again. `options`: the publish options when the caller knows them
    (publish_options_for), else they are read from the row."""
    from ..tasks import deliver_attempt

    return publish_safely(
        deliver_attempt,
        args=[attempt_id],
        countdown=countdown,
        what=f"attempt id={attempt_id}",
        **(options if options is not None else attempt_publish_options(attempt_id=attempt_id)),
    )


def attempt_publish_options(*, attempt_id: int) -> dict[str, str | int]:
    """Where a send waits (CELERY_TASK_ROUTES puts `alerts.deliver_attempt` on the `alarms` queue): an INJURED
    alarm's own messages at the top priority; an update about a later report and a test alarm with the
    housekeeping on `default`, so neither holds up an alarm. {} (the router's choice) for an unknown row."""
    row = NotificationAttempt.objects.filter(pk=attempt_id).values_list("update_seq", "alarm__situation_type").first()
    if row is None:
        return {}
    update_seq, situation = row
    return publish_options_for(update_seq=update_seq, situation=situation)


def publish_options_for(*, update_seq: int, situation: str) -> dict[str, str | int]:
    """attempt_publish_options for a row whose update_seq and alarm situation the caller already has."""
    if update_seq or situation == SituationType.TEST:
        return {"queue": settings.KERYU_QUEUE_DEFAULT, "priority": settings.KERYU_PRIORITY_DEFAULT}
    if situation == SituationType.INJURED:
        return {"priority": settings.KERYU_PRIORITY_INJURED}
    return {}


def publish_safely(
    task: Task[Any, Any], *, args: list[Any], what: str, countdown: float | None = None, **options: str | int
) -> bool:
    """Publish a task, waiting at most KERYU_ENQUEUE_TIMEOUT seconds; `options` (queue, priority) go to
    apply_async over what the router says.

    A broker that is down or hung must not fail or stall a scan: the publish runs in a helper thread that
    the caller waits on for at most KERYU_ENQUEUE_TIMEOUT seconds; after a failure or a timeout further
    publishes are skipped for KERYU_ENQUEUE_BACKOFF seconds. The caller's row stays in the database for a
    sweeper either way.
    """
    if _broker.is_open():
        log.info("broker marked down; %s left for the sweeper", what)
        return False
    outcome: list[bool] = []

    def publish() -> None:
        try:
            # celery-types wants a float countdown; Celery's own default is None (no delay).
            task.apply_async(args=args, countdown=countdown, **options)  # type: ignore[arg-type]
            outcome.append(True)
        except Exception as exc:
            log.warning("could not queue %s (%s)", what, type(exc).__name__)
            outcome.append(False)

    thread = threading.Thread(target=publish, name="enqueue", daemon=True)
    thread.start()
    thread.join(settings.KERYU_ENQUEUE_TIMEOUT)
    if outcome and outcome[0]:
        return True
    _broker.failure()
    log.warning("%s not queued (broker down or slow); it stays pending for the sweeper", what)
    return False


def enqueue_on_commit(attempt_id: int, *, options: dict[str, str | int] | None = None) -> None:
    transaction.on_commit(partial(attempt_enqueue, attempt_id=attempt_id, options=options))


def ack_token(attempt: NotificationAttempt) -> str:
    """Signed (HMAC, unguessable), short: names the alarm and the attempt so we know who acknowledged."""
    return signing.Signer(salt=ACK_SALT).sign(f"{attempt.alarm_id}.{attempt.pk}")


def ack_token_read(token: str) -> tuple[int, int] | None:
    try:
        alarm_id, attempt_id = signing.Signer(salt=ACK_SALT).unsign(token).split(".")
        return int(alarm_id), int(attempt_id)
    except (signing.BadSignature, ValueError):
        return None


BUTTON_SALT = "alerts.button"


def button_payload(attempt: NotificationAttempt, intent: str) -> str:
    """A WhatsApp quick-reply payload: an opaque, signed reference to (intent, alarm, attempt). A tap sends it
    back, so the reply resolves to its alarm and recipient without guessing from the number."""
    return signing.dumps([intent, attempt.alarm_id, attempt.pk], salt=BUTTON_SALT)


def button_payload_read(payload: str) -> tuple[str, int, int] | None:
    """(intent, alarm id, attempt id) of a payload we signed; None for anything else (a bare word, a forgery)."""
    if not payload or ":" not in payload:
        return None
    try:
        intent, alarm_id, attempt_id = signing.loads(payload, salt=BUTTON_SALT)
        return str(intent), int(alarm_id), int(attempt_id)
    except (signing.BadSignature, ValueError, TypeError):
        return None


def ack_url(attempt: NotificationAttempt) -> str:
    from django.urls import reverse

    return settings.KERYU_PUBLIC_BASE_URL + reverse("alerts_acknowledge", kwargs={"token": ack_token(attempt)})


def maps_url(report: Alarm | ScanEvent) -> str:
    if report.latitude is None or report.longitude is None:
        return ""
    return f"https://maps.google.com/?q={report.latitude},{report.longitude}"


def finder_phone_shown(report: Alarm | ScanEvent) -> str:
    """The finder's number as the family may see it: only if the finder chose to share it."""
    return report.finder_phone if report.finder_phone_shared else ""


def finder_text(report: Alarm | ScanEvent) -> str:
    return " ".join(p for p in (report.finder_name, finder_phone_shown(report)) if p)


def attempt_kind(attempt: NotificationAttempt) -> str:
    """Which message this row sends: the alarm's own, or an update about later reports joined to it."""
    return "UPDATE" if attempt.update_seq else attempt.alarm.situation_type


def message_context(
    attempt: NotificationAttempt, *, template: MessageTemplate | TemplateLookup | None = FIND
) -> dict[str, object]:
    """The values a message fills in. An update carries the latest report (read at send time, so a
    scheduled update says where the subject was last seen, not where they were when it was scheduled).
    `template`: what template_find answered for the attempt's kind, language and channel, when already asked."""
    kind = attempt_kind(attempt)
    if isinstance(template, TemplateLookup):
        template = template_find(kind=kind, language=attempt.language, channel=attempt.channel)
    alarm = attempt.alarm
    report: Alarm | ScanEvent = alarm
    if attempt.update_seq:
        report = alarm.scan_events.order_by("-timestamp", "-pk").first() or alarm
    when = timezone.localtime(report.timestamp)
    link = maps_url(report)
    location = " ".join(p for p in (report.location, link) if p)
    url = ack_url(attempt)
    finder = finder_text(report) or finder_text(alarm)
    description = report.description or "-"
    # A text an editor wrote without {finder} or {ack_url} still carries them, after the details.
    if finder and not _text_has_variable(template, kind, attempt.language, "finder"):
        description = f"{description}\n{finder}"
    if not _text_has_variable(template, kind, attempt.language, "ack_url"):
        description = f"{description}\n{url}"
    return {
        # The template's buttons (messaging.whatsapp_templates): signed payloads per reply intent, and the
        # acknowledgement page's token as the URL button's suffix.
        "ack_token": ack_token(attempt),
        **{f"button_{intent.lower()}": button_payload(attempt, intent) for intent in BUTTON_INTENTS},
        "subject_name": alarm.subject.first_name,
        "situation": SituationType(report.situation_type).label,
        "location": location or "-",
        "description": description,
        "timestamp": date_format(when, "Y-m-d H:i"),
        "maps_url": link,
        "ack_url": url,
        "finder": finder or "-",
    }


def _text_has_variable(template: MessageTemplate | None, kind: str, language: str, name: str) -> bool:
    """Whether the text a message of this kind will be rendered from (`template`, else the shipped default)
    has the variable."""
    if template is not None:
        return f"{{{name}}}" in template.content
    default = DEFAULTS.get((kind, language)) or DEFAULTS.get((kind, "en")) or ("", "")
    return f"{{{name}}}" in default[1]


def _disowned() -> ChannelError:
    """The address's holder answered "wrong number" after this row chose it (alerts.services.replies): never
    sent; the recipient's next channel takes over (channel_next skips the address)."""
    return ChannelError("the holder of this number says it is a wrong number", permanent=True, code=WRONG_NUMBER_CODE)


def _attempt_message(attempt: NotificationAttempt) -> Message:
    """The attempt's message, written but not yet linked: the dispatch marker links it, only while this worker
    still holds its claim (_deliver_claimed). A worker whose lease the sweeper took back must never point the
    attempt at its own message: another worker may have sent one already, and receipts find the attempt
    through that message's link."""
    phone, email = rec.attempt_addresses(attempt)
    to = channel_address(attempt.channel, phone=phone, email=email)
    if not to:
        raise ChannelError("recipient has no address for this channel", permanent=True, code="no-address")
    if addresses_disowned((to,)):
        raise _disowned()
    # A household member's own messages are theirs; everything else about the alarm is the first custodian's.
    owner = attempt.custodian.user if attempt.custodian is not None else attempt.alarm.subject.custodian.user
    kind = attempt_kind(attempt)
    # One lookup serves the context (which variables the text has) and the rendering.
    template = template_find(kind=kind, language=attempt.language, channel=attempt.channel)
    message = message_compose(
        kind=kind,
        language=attempt.language,
        channel=attempt.channel,
        to=to,
        context=message_context(attempt, template=template),
        owner=owner,
        recipient_name=attempt.recipient_name,
        template=template,
    )
    attempt.message = message  # linked in the row by the dispatch marker's update (_deliver_claimed)
    return message


def attempt_deliver(*, attempt_id: int) -> NotificationAttempt | None:
    """Deliver one attempt, at most once per channel.

    The PENDING -> PROCESSING update claims the row: of two workers (or a redelivered task) only the one
    that changed the row goes on. No lock is held across the provider call. Raises ChannelError for a
    transient failure so the task can retry; the row is back at PENDING by then. Raises the database's error
    when the connection dropped mid-way, after settling the row (see attempt_interrupted) so a retry in
    seconds can finish it.
    """
    now = timezone.now()
    attempt = _attempt_claim(attempt_id=attempt_id, now=now)
    if attempt is None:
        log.info("attempt id=%s not pending or not due; nothing to do", attempt_id)
        return None
    try:
        return _deliver_claimed(attempt=attempt, claimed_at=now)
    except DATABASE_ERRORS:
        attempt_interrupted(attempt_id=attempt_id, claimed_at=now)
        raise


# The claim in one statement: the row moves PENDING -> PROCESSING if it is due, comes back whole (RETURNING),
# and its alarm counts the attempt. It replaced an UPDATE, a SELECT joining 8 tables (3-4 ms of planning per
# send) and a second UPDATE (docs/benchmarks.md).
_CLAIM_SQL = """
WITH claimed AS (
    UPDATE alerts_notificationattempt
    SET status = %(processing)s, claimed_at = %(now)s, updated_at = %(now)s
    WHERE id = %(id)s AND status = %(pending)s
      AND (not_before IS NULL OR not_before <= %(due)s OR retry_count > 0)
    RETURNING *
), counted AS (
    UPDATE alerts_alarm
    SET notification_attempts = notification_attempts + 1, last_attempt = %(now)s
    WHERE id IN (SELECT alarm_id FROM claimed)
)
SELECT * FROM claimed
"""


# Encrypted registry fields no message carries: not read (nor decrypted) for a send; loaded if ever touched.
_NOT_SENT = (
    "subject__medical_conditions",
    "subject__allergies",
    "subject__medications",
    "subject__doctor_name",
    "subject__doctor_address",
    "subject__doctor_speciality",
    "subject__custodian__address",
    "subject__custodian__emergency_phone",
)


def _attempt_claim(*, attempt_id: int, now: datetime) -> NotificationAttempt | None:
    """Claim the row (see _CLAIM_SQL) and attach what a send reads: the alarm with its subject, custodian and
    user in one query; the attempt's custodian when it is the subject's (it usually is). A contact, the
    message (a retry) and the test button's user load when used."""
    params = {
        "id": attempt_id,
        "now": now,
        "due": now + timedelta(seconds=1),
        "pending": NotificationStatus.PENDING,
        "processing": NotificationStatus.PROCESSING,
    }
    attempt = next(iter(NotificationAttempt.objects.raw(_CLAIM_SQL, params)), None)
    if attempt is None:
        return None
    alarm = Alarm.objects.select_related("subject__custodian__user").defer(*_NOT_SENT).get(pk=attempt.alarm_id)
    attempt.alarm = alarm
    if attempt.custodian_id is not None and attempt.custodian_id == alarm.subject.custodian_id:
        attempt.custodian = alarm.subject.custodian
    return attempt


def _deliver_claimed(*, attempt: NotificationAttempt, claimed_at: datetime) -> NotificationAttempt | None:
    try:
        if attempt.message is not None and address_hash_disowned(attempt.message.address_hash):
            raise _disowned()
        fresh = attempt.message is None
        message = attempt.message or _attempt_message(attempt)
    except ChannelError as exc:
        return _attempt_failed(attempt=attempt, error=exc)
    # The marker, committed on its own before the network call: from here on the provider may have the
    # message, so a lost lease or connection makes the send uncertain instead of sending it again. It is
    # also the last check of the claim: a receipt or the sweeper may have taken the row meanwhile. The same
    # update links the message (a retry reuses it).
    if not NotificationAttempt.objects.filter(
        pk=attempt.pk, status=NotificationStatus.PROCESSING, claimed_at=claimed_at
    ).update(dispatched_at=timezone.now(), message=message):
        if fresh:  # written for this send, never sent nor linked: nobody's history
            type(message).objects.filter(pk=message.pk, status=MessageStatus.PENDING).delete()
        log.warning("attempt id=%s changed hands before sending; not sent", attempt.pk)
        return None
    token = _delivering.set(message.pk)
    try:
        message = message_send(message=message)
    except ChannelError as exc:
        return _attempt_failed(attempt=attempt, error=exc)
    finally:
        _delivering.reset(token)
    _attempt_sent(attempt=attempt, sent_at=message.sent_at or timezone.now())
    log.info("attempt sent id=%s alarm=%s channel=%s", attempt.pk, attempt.alarm_id, attempt.channel)
    return attempt


# The message this thread's _deliver_claimed is handing to its channel, while it does: its SENT news (messaging's
# message_status_changed) is recorded by _attempt_sent, so the receiver leaves it (message_being_delivered).
_delivering: ContextVar[int | None] = ContextVar("alerts_delivering", default=None)


def message_being_delivered(message_id: int) -> bool:
    """Whether `message_id` is the attempt's message this thread is sending now (see _delivering)."""
    return _delivering.get() == message_id


# The provider accepted it: SENT unless a receipt got there first (DELIVERED, READ are never moved back); the row
# comes back whole, so the caller's attempt needs no refresh.
_SENT_SQL = """
UPDATE alerts_notificationattempt
SET sent_at = COALESCE(sent_at, %(sent_at)s),
    status = CASE WHEN status = ANY(%(awaited)s) THEN %(sent)s ELSE status END,
    error = CASE WHEN status = ANY(%(awaited)s) THEN '' ELSE error END,
    updated_at = CASE WHEN status = ANY(%(awaited)s) THEN %(now)s ELSE updated_at END
WHERE id = %(id)s
RETURNING *
"""


def _attempt_sent(*, attempt: NotificationAttempt, sent_at: datetime) -> None:
    """The provider accepted it. A receipt that got here first (DELIVERED, READ) is never moved back. Updates
    `attempt` to the row as it now is."""
    params = {
        "id": attempt.pk,
        "sent_at": sent_at,
        "now": timezone.now(),
        "awaited": [str(s) for s in ANSWER_AWAITED],
        "sent": str(NotificationStatus.SENT),
    }
    with transaction.atomic():
        row = next(iter(NotificationAttempt.objects.raw(_SENT_SQL, params)), None)
        alarm_status_sent(alarm_id=attempt.alarm_id)
    if row is None:
        return
    for field in NotificationAttempt._meta.concrete_fields:  # a changed foreign key drops its cached object
        setattr(attempt, field.attname, getattr(row, field.attname))


def attempt_interrupted(*, attempt_id: int, claimed_at: datetime) -> None:
    """The worker's database connection dropped after its claim: reconnect and settle the row at once, so the
    task's retry (seconds away) finishes it instead of the sweeper's lease (minutes). When the database is
    still away the row stays PROCESSING and the lease covers it."""
    connection.close()
    try:
        outcome = attempt_reclaim(attempt_id=attempt_id, claimed_at=claimed_at)
    except DATABASE_ERRORS:
        log.warning("attempt id=%s: database still away; left to the lease", attempt_id)
        return
    log.warning("attempt id=%s: database connection lost mid-delivery; now %s", attempt_id, outcome)


def attempt_reclaim(*, attempt_id: int, claimed_at: datetime) -> str | None:
    """Settle a PROCESSING row whose worker lost it (lease expired, connection dropped), claimed once by its
    claimed_at. Back to PENDING only if the send never reached the network; otherwise what the message
    recorded decides (accepted: SENT; refused: FAILED and the next channel) and else it is UNCERTAIN: never
    sent again on this channel. Returns the new status, or None when someone else settled it first.
    """
    attempt = (
        NotificationAttempt.objects.filter(pk=attempt_id, status=NotificationStatus.PROCESSING, claimed_at=claimed_at)
        .select_related("message")
        .first()
    )
    if attempt is None:
        return None
    mine = NotificationAttempt.objects.filter(
        pk=attempt.pk, status=NotificationStatus.PROCESSING, claimed_at=claimed_at
    )
    now = timezone.now()
    dispatched = attempt.dispatched_at is not None and attempt.dispatched_at >= claimed_at
    message = attempt.message if dispatched else None
    said = message.status if message is not None else None
    if not dispatched:
        new = NotificationStatus.PENDING
        changed = mine.update(status=new, not_before=None, updated_at=now)
    elif message is not None and said in (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ):
        new = NotificationStatus.SENT
        changed = mine.update(status=new, sent_at=message.sent_at or now, error="", updated_at=now)
        if changed:
            alarm_status_refresh(alarm_id=attempt.alarm_id)
    elif message is not None and said == MessageStatus.FAILED:
        new = NotificationStatus.FAILED
        changed = mine.update(status=new, error=message.error_message[:2000], updated_at=now)
        if changed:
            attempt.refresh_from_db()
            attempt_fallback(attempt=attempt)
    else:
        new = NotificationStatus.UNCERTAIN
        changed = mine.update(
            status=new, error="Worker lost after the provider call; waiting for the receipt.", updated_at=now
        )
    return new if changed else None


def _attempt_failed(*, attempt: NotificationAttempt, error: ChannelError) -> NotificationAttempt:
    if error.uncertain:
        return _attempt_uncertain(attempt=attempt, error=error)
    final = error.permanent or attempt.retry_count >= MAX_RETRIES
    now = timezone.now()
    fields: dict[str, object] = {"error": str(error)[:2000], "updated_at": now}
    if final:
        fields["status"] = NotificationStatus.FAILED
    else:
        fields.update(
            status=NotificationStatus.PENDING,
            retry_count=F("retry_count") + 1,
            not_before=now + timedelta(seconds=retry_delay(attempt.retry_count + 1)),
        )
    NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.PROCESSING).update(**fields)
    log.warning(
        "attempt failed id=%s channel=%s code=%s action=%s final=%s",
        attempt.pk,
        attempt.channel,
        error.code,
        error.action,
        final,
    )
    if error.alert_staff:
        with translation.override(settings.LANGUAGE_CODE):  # staff read the site's language
            subject = _("Keryu: channel %(channel)s refused a message") % {"channel": attempt.channel}
            body = _(
                "Attempt %(attempt)s of alarm %(alarm)s on %(channel)s: code %(code)s. Check the channel's "
                "configuration; delivery moved on to the next channel."
            ) % {"attempt": attempt.pk, "alarm": attempt.alarm_id, "channel": attempt.channel, "code": error.code}
        staff_alert(subject=subject, body=body)
    if not final:
        raise error
    attempt.refresh_from_db()
    attempt_fallback(attempt=attempt)
    return attempt


def _attempt_uncertain(*, attempt: NotificationAttempt, error: ChannelError) -> NotificationAttempt:
    """The provider may have it: wait for the receipt (webhooks), never send again on this channel. The
    sweeper moves the recipient on after KERYU_UNCERTAIN_RECEIPT_SECONDS without one."""
    NotificationAttempt.objects.filter(pk=attempt.pk, status=NotificationStatus.PROCESSING).update(
        status=NotificationStatus.UNCERTAIN, error=str(error)[:2000], updated_at=timezone.now()
    )
    log.warning(
        "attempt uncertain id=%s channel=%s code=%s: waiting for the receipt", attempt.pk, attempt.channel, error.code
    )
    attempt.refresh_from_db()
    return attempt


def attempt_fallback(*, attempt: NotificationAttempt, reason: str = "failed") -> NotificationAttempt | None:
    """The recipient's next untried channel, queued at once; then the alarm's roll-up (FAILED, and staff told,
    when no channel is left for anyone)."""
    nxt = attempt_next_channel(attempt=attempt, wave=attempt.wave)
    if nxt is not None:
        log.info("attempt id=%s %s; fallback id=%s channel=%s", attempt.pk, reason, nxt.pk, nxt.channel)
    return nxt


def attempt_next_channel(*, attempt: NotificationAttempt, wave: int) -> NotificationAttempt | None:
    """A new row, queued, for the recipient of `attempt` on the next channel messaging picks for them
    (their preference, staff's order, their addresses, minus what this alarm message already tried).

    None when no channel is left, or when a concurrent fallback or escalation created that row first: the
    recipient is being moved on already. Refreshes the alarm's roll-up either way.
    """
    phone, email = rec.attempt_addresses(attempt)
    channel = channel_next(
        preferred=rec.attempt_preferred(attempt), phone=phone, email=email, tried=tried_channels(attempt)
    )
    nxt = attempt_add(source=attempt, channel=channel, wave=wave) if channel is not None else None
    alarm_status_refresh(alarm_id=attempt.alarm_id)
    return nxt


def tried_channels(attempt: NotificationAttempt) -> set[str]:
    """The channels this recipient was already tried on, for this alarm message (the alarm or one update) in
    this round of the escalation policy (a repeated round starts again from the first channel)."""
    return set(
        NotificationAttempt.objects.filter(
            alarm_id=attempt.alarm_id,
            update_seq=attempt.update_seq,
            escalation_round=attempt.escalation_round,
            recipient_key=attempt.recipient_key,
        ).values_list("channel", flat=True)
    )


def attempt_for_recipient(source: NotificationAttempt, **fields: Any) -> NotificationAttempt:
    """A new outbox row for the same recipient as `source` (its snapshots copied); `fields` set the rest."""
    return NotificationAttempt.objects.create(
        alarm_id=source.alarm_id,
        custodian_id=source.custodian_id,
        contact_id=source.contact_id,
        recipient_key=source.recipient_key,
        recipient_kind=source.recipient_kind,
        recipient_name=source.recipient_name,
        language=source.language,
        **fields,
    )


def attempt_add(
    *, source: NotificationAttempt, channel: str, wave: int, escalation_round: int | None = None
) -> NotificationAttempt | None:
    """A new row for the same recipient on another channel (in `source`'s round unless another is named);
    the unique constraint makes it happen once."""
    if escalation_round is None:
        escalation_round = source.escalation_round
    try:
        with transaction.atomic():
            new = attempt_for_recipient(
                source, channel=channel, wave=wave, update_seq=source.update_seq, escalation_round=escalation_round
            )
            enqueue_on_commit(new.pk)
    except IntegrityError:
        return None
    return new
