"""Phone verification codes that arrive (issue 16, item 1), with Twilio Verify's limits.

A verification (PhoneCode) lives KERYU_VERIFICATION_CODE_MINUTES (10) from its first send, takes at most
KERYU_VERIFICATION_CODE_MAX_SENDS (5) sends and KERYU_VERIFICATION_CODE_MAX_TRIES (5) checks. Each send
(PhoneCodeSend) has its own code; any of them is good while the verification is: a slow WhatsApp code still
works after its SMS fallback. Codes are stored hashed and never logged.

On WhatsApp a code goes only as Meta's AUTHENTICATION template (copy-code button, the custodian's language), never
as free-form text, which Meta drops (131047) for someone who has not written to us in 24 hours, as a new custodian
has not. When WhatsApp refuses the send, the next channel (SMS) takes it at once; when it fails later by webhook
(receivers.py) or is not delivered within KERYU_VERIFICATION_WHATSAPP_SECONDS (a Celery countdown check), the
verification is sent again by SMS, once per WhatsApp send.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Collection
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.encryption import phone_hash
from messaging.channels import REGISTRY, Family, channel_family
from messaging.channels.meta_whatsapp import MetaWhatsAppChannel
from messaging.models import Message, MessageStatus
from messaging.services import message_compose, message_send_first
from registry.models import Custodian

from .models import PhoneCode, PhoneCodeSend

log = logging.getLogger(__name__)

# (window, most codes asked for per phone in it): 1 a minute, 3 an hour, 10 a day. Automatic SMS fallbacks are
# not asked for and do not count; asking for SMS instead right after a WhatsApp code skips the minute.
RESEND_LIMITS = ((timedelta(minutes=1), 1), (timedelta(hours=1), 3), (timedelta(days=1), 10))
DELIVERED = (MessageStatus.DELIVERED, MessageStatus.READ)


def phone_code_limit_message(window: timedelta) -> str:
    if window <= timedelta(minutes=1):
        return _("A code was just sent. Wait a minute before asking for another.")
    if window <= timedelta(hours=1):
        return _("Too many codes this hour. Try again later.")
    return _("Too many codes today. Try again tomorrow.")


def _new_code() -> str:
    digits = settings.KERYU_VERIFICATION_CODE_DIGITS
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def verification_open(*, user: User, key: str) -> PhoneCode | None:
    """The verification of this user and phone still taking sends and checks, if any."""
    return (
        PhoneCode.objects.filter(
            user=user,
            phone_hash=key,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            tries__lt=settings.KERYU_VERIFICATION_CODE_MAX_TRIES,
        )
        .order_by("-created_at")
        .first()
    )


def verification_latest_send(*, user: User, e164: str) -> PhoneCodeSend | None:
    """The last code sent for this user and phone (where it went: the sign-up page says so)."""
    return (
        PhoneCodeSend.objects.filter(phone_code__user=user, phone_code__phone_hash=phone_hash(e164))
        .order_by("-created_at", "-pk")
        .first()
    )


def phone_code_send(*, user: User, e164: str, sms: bool = False) -> PhoneCode:
    """A code for this phone: another send of the open verification, or a new verification. `sms`: the custodian
    asked for SMS instead of WhatsApp. Raises ValidationError past a limit or when no channel took it."""
    key = phone_hash(e164)
    now = timezone.now()
    verification = verification_open(user=user, key=key)
    if verification is not None and verification.sends.count() >= settings.KERYU_VERIFICATION_CODE_MAX_SENDS:
        minutes = max(1, int((verification.expires_at - now).total_seconds() // 60) + 1)
        raise ValidationError(
            ngettext(
                "Too many codes for this verification. Ask again in %(minutes)d minute.",
                "Too many codes for this verification. Ask again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )
    asked = PhoneCodeSend.objects.filter(phone_code__phone_hash=key).exclude(reason=PhoneCodeSend.Reason.FALLBACK)
    for window, limit in RESEND_LIMITS:
        if sms and window <= timedelta(minutes=1):
            continue
        if asked.filter(created_at__gt=now - window).count() >= limit:
            raise ValidationError(phone_code_limit_message(window))
    code = _new_code()
    if verification is None:
        with transaction.atomic():
            PhoneCode.objects.filter(user=user, phone_hash=key, used_at__isnull=True).update(used_at=now)
            verification = PhoneCode.objects.create(
                user=user,
                phone_hash=key,
                code_hash=make_password(code),
                expires_at=now + timedelta(minutes=settings.KERYU_VERIFICATION_CODE_MINUTES),
            )
        reason = PhoneCodeSend.Reason.SMS_ASKED if sms else PhoneCodeSend.Reason.FIRST
    else:
        reason = PhoneCodeSend.Reason.SMS_ASKED if sms else PhoneCodeSend.Reason.RESEND
    families = {Family.SMS} if sms else set()
    _deliver(verification=verification, e164=e164, code=code, reason=reason, families=families)
    return verification


def _deliver(*, verification: PhoneCode, e164: str, code: str, reason: str, families: Collection[str]) -> PhoneCodeSend:
    """Send `code` on the first channel that takes it (of `families`, when given) and record the send."""
    custodian = Custodian.objects.filter(user=verification.user).first() if verification.user_id else None
    language = custodian.language if custodian is not None else "es"
    preferred = custodian.preferred_channel if custodian is not None else None
    minutes = settings.KERYU_VERIFICATION_CODE_MINUTES
    # Not tried: channels outside `families`, and WhatsApp other than Meta's (only Meta's authentication
    # template carries a code on WhatsApp; no Twilio Content one is shipped).
    skipped = {
        key
        for key in REGISTRY
        if (families and channel_family(key) not in families)
        or (channel_family(key) == Family.WHATSAPP and key != MetaWhatsAppChannel.key)
    }
    reached = message_send_first(
        compose=lambda channel, to: message_compose(
            kind="VERIFICATION_CODE",
            language=language,
            channel=channel,
            to=to,
            context={"code": code, "minutes": minutes},
            owner=verification.user,
        ),
        preferred=preferred,
        phone=e164,
        tried=skipped,
        label=f"verification code={verification.pk}",
    )
    if reached.message is not None:
        send = PhoneCodeSend.objects.create(
            phone_code=verification,
            code_hash=make_password(code),
            channel=reached.channel,
            reason=reason,
            message=reached.message,
        )
        log.info("verification code sent code=%s send=%s channel=%s", verification.pk, send.pk, reached.channel)
        if channel_family(reached.channel) == Family.WHATSAPP:
            transaction.on_commit(partial(_schedule_silence_check, send.pk))
        return send
    raise ValidationError(_("We could not send the code right now. Try again in a minute."))


def _schedule_silence_check(send_id: int) -> None:
    from .tasks import verification_fallback_task

    try:
        verification_fallback_task.apply_async(args=(send_id,), countdown=settings.KERYU_VERIFICATION_WHATSAPP_SECONDS)
    except Exception as exc:  # the broker is away: the custodian still has "send by SMS instead"
        log.warning("verification send=%s: silence check not queued (%s)", send_id, type(exc).__name__)


def phone_code_fallback(*, send_id: int, failed: bool = False) -> PhoneCodeSend | None:
    """Send the verification again by SMS after its WhatsApp send `failed` (a webhook) or stayed silent (not
    delivered or read by now). Once per WhatsApp send (a claimed marker); nothing when the verification ended."""
    now = timezone.now()
    send = PhoneCodeSend.objects.select_related("phone_code", "message").filter(pk=send_id).first()
    if send is None or send.message is None or channel_family(send.channel) != Family.WHATSAPP:
        return None
    verification, message = send.phone_code, send.message
    if verification.used_at is not None or verification.expires_at <= now:
        return None
    if verification.tries >= settings.KERYU_VERIFICATION_CODE_MAX_TRIES:
        return None
    if not failed and message.status in DELIVERED:
        return None
    if not PhoneCodeSend.objects.filter(pk=send.pk, fallback_claimed_at__isnull=True).update(fallback_claimed_at=now):
        return None
    if verification.sends.count() >= settings.KERYU_VERIFICATION_CODE_MAX_SENDS or not message.to:
        return None
    try:
        sms = _deliver(
            verification=verification,
            e164=message.to,
            code=_new_code(),
            reason=PhoneCodeSend.Reason.FALLBACK,
            families={Family.SMS},
        )
    except ValidationError:
        log.warning("verification code=%s: SMS fallback found no channel", verification.pk)
        return None
    log.info("verification code=%s: WhatsApp %s, sent again by SMS", verification.pk, "failed" if failed else "silent")
    return sms


def phone_code_whatsapp_failed(*, message: Message) -> PhoneCodeSend | None:
    """A status webhook failed a message: when it carried a WhatsApp code, send the verification by SMS now."""
    send = PhoneCodeSend.objects.filter(message=message).only("pk").first()
    return phone_code_fallback(send_id=send.pk, failed=True) if send is not None else None


def phone_code_verify(*, user: User, e164: str, code: str) -> None:
    """Check a code against every send of the open verification: at most KERYU_VERIFICATION_CODE_MAX_TRIES
    checks, counted before comparing."""
    key = phone_hash(e164)
    limit = settings.KERYU_VERIFICATION_CODE_MAX_TRIES
    with transaction.atomic():
        row = (
            PhoneCode.objects.select_for_update()
            .filter(user=user, phone_hash=key, used_at__isnull=True)
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise ValidationError(_("There is no code waiting for this number. Ask for a new code."))
        if row.expires_at <= timezone.now():
            raise ValidationError(_("This code has expired. Ask for a new code."))
        if row.tries >= limit:
            raise ValidationError(_("Too many wrong tries for this code. Ask for a new code."))
        row.tries += 1
        given = (code or "").strip()
        hashes = [row.code_hash, *row.sends.values_list("code_hash", flat=True)]
        ok = bool(given) and any(check_password(given, h) for h in hashes)
        if ok:
            row.used_at = timezone.now()
        row.save(update_fields=["tries", "used_at"])
    if not ok:
        left = limit - row.tries
        if left <= 0:
            raise ValidationError(_("Too many wrong tries for this code. Ask for a new code."))
        raise ValidationError(_("That code is not right. %(left)d tries left.") % {"left": left})
