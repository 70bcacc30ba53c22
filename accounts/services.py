"""Writes for accounts: sign-up, email and phone verification (phone codes: verification.py), MFA resets,
security events."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from wagtail.users.models import UserProfile

from core.encryption import phone_hash
from core.roles import CUSTODIANS
from registry.models import Custodian, Subject
from registry.services import Removal, custodian_archive, custodian_phone_taken, household_invitation_token

from .models import EmailToken, PhoneCode, Registration, SecurityEvent
from .verification import (
    RESEND_LIMITS,
    phone_code_fallback,
    phone_code_limit_message,
    phone_code_send,
    phone_code_verify,
    phone_code_whatsapp_failed,
    verification_latest_send,
)

__all__ = [
    "RESEND_LIMITS",
    "phone_code_fallback",
    "phone_code_limit_message",
    "phone_code_send",
    "phone_code_verify",
    "phone_code_whatsapp_failed",
    "verification_latest_send",
]

log = logging.getLogger(__name__)


def registration_create(
    *, first_name: str, last_name: str, email: str, password: str, e164: str, language: str = "es"
) -> User:
    """The inactive user, the custodian and the registration, all or nothing; then the two verifications."""
    email = email.strip().lower()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
            raise ValidationError({"email": "An account with this email already exists."})
        if custodian_phone_taken(e164=e164):
            raise ValidationError({"phone": "An account with this phone number already exists."})
        user = User(username=email, email=email, first_name=first_name, last_name=last_name, is_active=False)
        user.set_password(password)
        try:
            with transaction.atomic():
                user.save()  # username = email is unique: a concurrent twin sign-up fails here
        except IntegrityError:
            raise ValidationError({"email": "An account with this email already exists."}) from None
        user.groups.add(Group.objects.get(name=CUSTODIANS))
        Custodian.objects.create(user=user, phone_number=e164, phone_hash=phone_hash(e164), language=language)
        Registration.objects.create(user=user)
    log.info("registration created user=%s", user.pk)
    if settings.KERYU_INSTANT_VERIFICATION:
        registration_mark(user=user, email=True, phone=True)
        return user
    email_token_send(user=user)
    try:
        phone_code_send(user=user, e164=e164)
    except ValidationError:
        log.warning("registration user=%s: phone code not sent", user.pk)
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def email_token_send(*, user: User) -> None:
    """A fresh single-use link; earlier unused links of this user stop working."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        EmailToken.objects.filter(user=user, used_at__isnull=True).update(used_at=now)
        EmailToken.objects.create(
            user=user,
            email=user.email,
            token_hash=_token_hash(token),
            expires_at=now + timedelta(hours=settings.KERYU_EMAIL_VERIFICATION_HOURS),
        )
    url = settings.KERYU_PUBLIC_BASE_URL + reverse("accounts:verify_email", args=[token])
    context = {"user": user, "url": url, "hours": settings.KERYU_EMAIL_VERIFICATION_HOURS}
    # In the language of the custodian's profile (chosen at sign-up), not the request's browser language.
    custodian = Custodian.objects.filter(user=user).only("language").first()
    with translation.override(custodian.language if custodian else translation.get_language()):
        subject = render_to_string("accounts/email/verify_subject.txt", context).strip()
        body = render_to_string("accounts/email/verify_body.txt", context)
        html = render_to_string("accounts/email/verify_body.html", context)
    send_mail(subject=subject, message=body, from_email=None, recipient_list=[user.email], html_message=html)
    log.info("verification email sent user=%s", user.pk)


def email_verify(*, token: str) -> User:
    """Claim the token once (a conditional update), then mark the email verified."""
    now = timezone.now()
    row = EmailToken.objects.filter(token_hash=_token_hash(token)).select_related("user").first()
    claimed = EmailToken.objects.filter(token_hash=_token_hash(token), used_at__isnull=True, expires_at__gt=now).update(
        used_at=now
    )
    if row is None or claimed != 1:
        raise ValidationError(_("This verification link is invalid, expired or already used. Request a new one."))
    user = row.user
    if user.email.lower() != row.email.lower():
        raise ValidationError(_("This verification link is for an earlier email address. Request a new one."))
    registration_mark(user=user, email=True)
    return user


def registration_mark(*, user: User, email: bool = False, phone: bool = False) -> Registration:
    """Record a verification on the custodian (registry.Custodian's own timestamps, the one record of it);
    when both are done the sign-up is complete and the account becomes active."""
    now = timezone.now()
    with transaction.atomic():
        reg, _ = Registration.objects.select_for_update().get_or_create(user=user)
        custodian = Custodian.objects.select_for_update().filter(user=user).first()
        if custodian is None:
            return reg  # not a custodian (staff changing their email): nothing to record, nothing to complete
        fields: dict[str, object] = {}
        if email and custodian.email_verified_at is None:
            fields["email_verified_at"] = custodian.email_verified_at = now
        if phone and custodian.phone_verified_at is None:
            fields["phone_verified_at"] = custodian.phone_verified_at = now
        if fields:
            Custodian.objects.filter(pk=custodian.pk).update(**fields)
        if custodian.email_verified_at and custodian.phone_verified_at and reg.completed_at is None:
            reg.completed_at = now
            reg.save(update_fields=["completed_at"])
            User.objects.filter(pk=user.pk).update(is_active=True)
            log.info("registration completed user=%s", user.pk)
    return reg


def custodian_phone_change(*, user: User, e164: str) -> None:
    """After a verified code for the new number: store it with its keyed hash."""
    custodian = Custodian.objects.get(user=user)
    custodian.phone_number = e164
    custodian.phone_hash = phone_hash(e164)
    custodian.phone_verified_at = timezone.now()
    custodian.save()


def user_email_change(*, user: User, email: str) -> None:
    """The new address must be verified again; the account stays usable."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "An account with this email already exists."})
    user.email = email
    if user.username.lower() != email and "@" in user.username:
        if not User.objects.filter(username__iexact=email).exclude(pk=user.pk).exists():
            user.username = email
    user.save()
    Custodian.objects.filter(user=user).update(email_verified_at=None)
    email_token_send(user=user)


def mfa_devices_reset(*, user: User, actor: User | None, ip_address: str | None = None) -> int:
    """Delete every OTP device of this user (each deletion is in the audit log) and record who did it."""
    count = 0
    with transaction.atomic():
        for device in list(devices_for_user(user, confirmed=None)):
            device.delete()
            count += 1
        security_event_record(kind=SecurityEvent.Kind.MFA_RESET, user=user, actor=actor, ip_address=ip_address)
    log.info("mfa devices reset user=%s actor=%s count=%s", user.pk, getattr(actor, "pk", None), count)
    return count


def security_event_record(
    *,
    kind: str,
    user: User | None = None,
    actor: User | None = None,
    username: str = "",
    ip_address: str | None = None,
    path: str = "",
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        kind=kind, user=user, actor=actor, username=username[:150], ip_address=ip_address or None, path=path[:300]
    )


def registrations_purge_abandoned() -> int:
    """Delete sign-ups left unfinished for KERYU_ABANDONED_REGISTRATION_HOURS (user, custodian, codes)."""
    cutoff = timezone.now() - timedelta(hours=settings.KERYU_ABANDONED_REGISTRATION_HOURS)
    users = User.objects.filter(
        is_active=False, registration__completed_at__isnull=True, registration__created_at__lt=cutoff
    )
    count = 0
    for user in users:
        if account_remove(user=user) is Removal.DELETED:
            count += 1
    if count:
        log.info("purged abandoned registrations count=%s", count)
    return count


def custodian_profile_update(*, custodian: Custodian, first_name: str, last_name: str, **fields) -> Custodian:
    """Name on the user, the rest (ProfileForm's fields) on the custodian.

    The time zone is copied to Wagtail's own user profile as well: Wagtail activates that profile's zone (else
    settings.TIME_ZONE) around every admin view, over core.timezones' middleware. Wagtail's own zone picker is
    switched off (WAGTAIL_USER_TIME_ZONES), so this is the one place a custodian's zone is chosen."""
    with transaction.atomic():
        user = custodian.user
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        for name, value in fields.items():
            setattr(custodian, name, value)
        custodian.save()
        if "time_zone" in fields:
            UserProfile.objects.update_or_create(user=user, defaults={"current_time_zone": custodian.time_zone})
    return custodian


def account_remove(*, user: User, actor: User | None = None) -> Removal:
    """Delete a user, unless alarm history refers to them: then archive the account instead.

    Alarms protect their subject, so the database refuses a delete that would cascade through the
    custodian to them. Archived: the custodian and every subject archived (hidden, codes off, personal data
    purged on KERYU_ARCHIVE_RETENTION_DAYS) and the account switched off. Every door that deletes users
    (the /ops/ console, Wagtail's user admin, the abandoned sign-up purge) calls this.
    """
    try:
        with transaction.atomic():
            PhoneCode.objects.filter(user=user).delete()
            user.delete()
    except (ProtectedError, RestrictedError):
        custodian = Custodian.objects.filter(user=user).first()
        if custodian is not None:
            custodian_archive(custodian=custodian)
        else:
            User.objects.filter(pk=user.pk).update(is_active=False)
        log.info(
            "account archived, not deleted (alarm history) user_id=%s actor_id=%s", user.pk, getattr(actor, "pk", None)
        )
        return Removal.ARCHIVED
    return Removal.DELETED


def household_invite(*, subject: Subject, inviter: Custodian, email: str, language: str) -> str:
    """Email `email` a signed link to care for `subject` with `inviter` (registry.services: only the first
    custodian invites). Written in `language`, the inviter's choice for the person invited. Returns the link."""
    token = household_invitation_token(subject=subject, inviter=inviter, email=email)
    url = settings.KERYU_PUBLIC_BASE_URL + reverse("accounts:invitation", args=[token])
    context = {
        "inviter": inviter.user.get_full_name() or inviter.user.get_username(),
        "subject_name": subject.first_name,
        "url": url,
        "days": settings.KERYU_HOUSEHOLD_INVITATION_DAYS,
    }
    with translation.override(language):
        send_mail(
            subject=render_to_string("accounts/email/invitation_subject.txt", context).strip(),
            message=render_to_string("accounts/email/invitation_body.txt", context),
            from_email=None,
            recipient_list=[email.strip()],
        )
    log.info("household invitation sent subject=%s inviter=%s", subject.pk, inviter.pk)
    return url
