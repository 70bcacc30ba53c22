"""Writes for the registry."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.encryption import phone_hash
from core.roles import user_is_staff

from .models import (
    CUSTODIAN_CONTACT_FIELDS,
    SUBJECT_DOCTOR_FIELDS,
    SUBJECT_DOCTOR_SHARING_FIELDS,
    SUBJECT_MEDICAL_FIELDS,
    Custodian,
    CustodianRole,
    Custodianship,
    QRCode,
    Subject,
)
from .photos import photo_clean
from .selectors import subjects_removable_by

log = logging.getLogger(__name__)


def custodian_phone_taken(*, e164: str, exclude_pk: int | None = None) -> bool:
    """Whether another custodian already registered this phone, found by keyed hash (never by decrypting)."""
    if not e164:
        return False
    qs = Custodian.objects.filter(phone_hash=phone_hash(e164))
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.exists()


def custodian_phone_hash_sync(*, custodian: Custodian) -> Custodian:
    """Recompute the lookup hash from the (decrypted) phone; called by every path that writes the phone."""
    value = str(custodian.phone_number) if custodian.phone_number else ""
    digest = phone_hash(value)
    Custodian.objects.filter(pk=custodian.pk).update(phone_hash=digest)
    custodian.phone_hash = digest
    return custodian


def custodian_phone_set(*, custodian: Custodian, phone_number: str) -> Custodian:
    """Change a custodian's phone: refuse duplicates, reset verification, keep the hash in step."""
    from phonenumber_field.phonenumber import to_python

    parsed = to_python(phone_number)  # no country code: PHONENUMBER_DEFAULT_REGION
    if phone_number and (parsed is None or not parsed.is_valid()):
        raise ValidationError({"phone_number": "Enter a valid phone number."})
    e164 = parsed.as_e164 if phone_number else ""
    if custodian_phone_taken(e164=e164, exclude_pk=custodian.pk):
        raise ValidationError({"phone_number": "This phone number is already registered."})
    with transaction.atomic():
        changed = str(custodian.phone_number or "") != e164
        custodian.phone_number = e164
        if changed:
            custodian.phone_verified_at = None
        custodian.save(update_fields=["phone_number", "phone_verified_at", "updated_at"])
        custodian_phone_hash_sync(custodian=custodian)
    return custodian


def _public_changed(subject_id: int) -> None:
    from .signals import subject_public_changed

    subject_public_changed.send(sender=Subject, subject_id=subject_id)


def subject_photo_set(*, subject: Subject, upload) -> Subject:
    """Validate, strip and store a photo under a random name, removing the previous file."""
    clean = photo_clean(upload)
    old_name = subject.photo.name if subject.photo else ""
    subject.photo.save(clean.name or "", clean, save=False)  # (photo_clean always names it photo.<ext>)
    Subject.objects.filter(pk=subject.pk).update(photo=subject.photo.name, updated_at=timezone.now())
    if old_name and old_name != subject.photo.name:
        subject.photo.storage.delete(old_name)
    _public_changed(subject.pk)
    return subject


def subject_photo_clear(*, subject: Subject) -> Subject:
    if subject.photo.name:
        subject.photo.storage.delete(subject.photo.name)
    Subject.objects.filter(pk=subject.pk).update(photo="", updated_at=timezone.now())
    subject.photo = ""
    _public_changed(subject.pk)
    return subject


def qr_code_create(*, subject: Subject, activate: bool = False) -> QRCode:
    code = QRCode.objects.create(subject=subject)
    if activate:
        code = qr_code_activate(qr_code=code)
    return code


def qr_code_activate(*, qr_code: QRCode) -> QRCode:
    """Make this the subject's one active code, switching the others off in the same transaction.

    Locking the subject row serialises concurrent activations of the same subject's codes; the partial
    unique constraint is the last line of defence.
    """
    with transaction.atomic():
        Subject.objects.select_for_update().filter(pk=qr_code.subject_id).first()
        QRCode.objects.filter(subject_id=qr_code.subject_id, is_active=True).exclude(pk=qr_code.pk).update(
            is_active=False
        )
        QRCode.objects.filter(pk=qr_code.pk).update(is_active=True, activated_at=timezone.now())
        _public_changed(qr_code.subject_id)
    qr_code.refresh_from_db()
    return qr_code


def qr_code_deactivate(*, qr_code: QRCode) -> QRCode:
    QRCode.objects.filter(pk=qr_code.pk).update(is_active=False)
    _public_changed(qr_code.subject_id)
    qr_code.refresh_from_db()
    return qr_code


def qr_code_mark_used(*, qr_code_id: int) -> None:
    QRCode.objects.filter(pk=qr_code_id).update(last_used=timezone.now())


# --- Removal: delete what has no history, archive what has -------------------------------------------
# Alarms protect their subject (on_delete=PROTECT): the database refuses a delete that would take history
# with it, and these services turn that refusal into an archive. Archived records are hidden from the
# custodian (registry.selectors), their codes switched off, and their personal data purged after
# KERYU_ARCHIVE_RETENTION_DAYS by `archived_personal_data_purge`.


class Removal(StrEnum):
    DELETED = "deleted"
    ARCHIVED = "archived"


def _delete_or_archive(instance: Model, archive: Callable[[], object]) -> Removal:
    """Delete `instance` (and what cascades with it) unless the database refuses because history refers to
    it: then `archive()` instead. The delete runs in its own savepoint, so a refusal leaves nothing half-done."""
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError):
        archive()
        return Removal.ARCHIVED
    return Removal.DELETED


def subject_archive(*, subject: Subject) -> Subject:
    """Hide the subject, stop it raising alarms, keep every alarm. Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        Subject.objects.filter(pk=subject.pk, archived_at__isnull=True).update(
            archived_at=now, is_active=False, updated_at=now
        )
        QRCode.objects.filter(subject_id=subject.pk, is_active=True).update(is_active=False)
        _public_changed(subject.pk)
    subject.refresh_from_db()
    return subject


def subject_remove(*, subject: Subject, actor: Any = None) -> Removal:
    """What "delete" means for a subject: deleted if nothing refers to it, archived if alarms do.

    `actor`, the user asking (None: the system). A shared subject is the whole household's: only its first
    custodian (or staff) removes it, a co-custodian leaves instead (custodianship_leave). The subject's other
    custodians are told by email, each in their own language."""
    if actor is not None and not subjects_removable_by(actor).filter(pk=subject.pk).exists():
        raise ValidationError(
            _("Only the first custodian of %(name)s can archive them. You can leave the household instead.")
            % {"name": subject.name},
            code="not_first_custodian",
        )
    # Read before: a delete takes the custodianships with it.
    ships = Custodianship.objects.filter(subject=subject, custodian__archived_at__isnull=True)
    if actor is not None:
        ships = ships.exclude(custodian__user=actor)
    others = [ship.custodian for ship in ships.select_related("custodian__user")]
    was_archived = subject.archived_at is not None
    outcome = _delete_or_archive(subject, lambda: subject_archive(subject=subject))
    if others and not was_archived:
        tell = partial(_household_told_of_removal, name=subject.name, others=others, actor=actor, outcome=outcome)
        transaction.on_commit(tell)
    return outcome


def _household_told_of_removal(*, name: str, others: list[Custodian], actor: Any, outcome: Removal) -> None:
    """Email each other custodian, in their language, that the subject they shared was archived or deleted."""
    staff = actor is None or user_is_staff(actor)
    who = "" if staff else (actor.get_full_name() or actor.get_username())
    for custodian in others:
        if not custodian.user.email:
            continue
        context = {"subject_name": name, "who": who, "archived": outcome is Removal.ARCHIVED}
        with translation.override(custodian.language):
            send_mail(
                subject=render_to_string("registry/email/subject_removed_subject.txt", context).strip(),
                message=render_to_string("registry/email/subject_removed_body.txt", context),
                from_email=None,
                recipient_list=[custodian.user.email],
            )
    log.info("household told of a removal custodians=%s outcome=%s", len(others), outcome)


def custodian_archive(*, custodian: Custodian) -> Custodian:
    """Archive the custodian and every subject, and switch the account off (no sign-in). Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        Custodian.objects.filter(pk=custodian.pk, archived_at__isnull=True).update(archived_at=now, updated_at=now)
        type(custodian.user).objects.filter(pk=custodian.user_id).update(is_active=False)
        custodian_households_leave(custodian=custodian)
        for subject in Subject.objects.filter(custodian=custodian, archived_at__isnull=True):
            subject_archive(subject=subject)
    custodian.refresh_from_db()
    return custodian


def custodian_remove(*, custodian: Custodian) -> Removal:
    """What "delete" means for a custodian record: deleted (with its subjects) unless alarms refer to them.
    Subjects shared with a household pass to the next custodian first: they are not the leaver's to take."""
    custodian_households_leave(custodian=custodian)
    return _delete_or_archive(custodian, lambda: custodian_archive(custodian=custodian))


SUBJECT_PERSONAL_FIELDS: dict[str, object] = {
    "date_of_birth": None,
    "gender": "",
    **dict.fromkeys(SUBJECT_MEDICAL_FIELDS + SUBJECT_DOCTOR_FIELDS, ""),
    "public_message": "",
    "share_photo": False,
    "share_allergies": False,
    "share_conditions": False,
    **dict.fromkeys(SUBJECT_DOCTOR_SHARING_FIELDS, False),
}
CUSTODIAN_PERSONAL_FIELDS: dict[str, object] = {**dict.fromkeys(CUSTODIAN_CONTACT_FIELDS, ""), "phone_hash": ""}


def archived_personal_data_purge(*, archived_before: datetime) -> int:
    """Replace the personal data of subjects and custodians archived before the cut-off with placeholders.

    The rows stay (alarms point at them); names become "Archived subject #id", the rest is blanked, photos
    and emergency contacts are deleted, the user's names, email and password are cleared. Each row once.
    Saved one by one (not `update()`) so the encrypted fields store their own empty value.
    """
    now = timezone.now()
    count = 0
    subjects = Subject.objects.filter(archived_at__lt=archived_before, personal_data_purged_at__isnull=True)
    for subject in subjects:
        with transaction.atomic():
            subject_photo_clear(subject=subject)
            subject.contacts.all().delete()
            for name, value in SUBJECT_PERSONAL_FIELDS.items():
                setattr(subject, name, value)
            subject.name = f"Archived subject #{subject.pk}"
            subject.personal_data_purged_at = now
            subject.save(update_fields=[*SUBJECT_PERSONAL_FIELDS, "name", "photo", "personal_data_purged_at"])
        count += 1
    custodians = Custodian.objects.filter(archived_at__lt=archived_before, personal_data_purged_at__isnull=True)
    for custodian in custodians.select_related("user"):
        with transaction.atomic():
            for name, value in CUSTODIAN_PERSONAL_FIELDS.items():
                setattr(custodian, name, value)
            custodian.personal_data_purged_at = now
            custodian.save(update_fields=[*CUSTODIAN_PERSONAL_FIELDS, "personal_data_purged_at"])
            user = custodian.user
            user.username, user.first_name, user.last_name, user.email = f"archived-{user.pk}", "", "", ""
            user.is_active = False
            user.set_unusable_password()
            user.save(update_fields=["username", "first_name", "last_name", "email", "is_active", "password"])
        count += 1
    return count


# --- Households: several custodians per subject ------------------------------------------------------------
# The first custodian invites others by email: a signed link (no row until it is used) naming the subject, the
# invited address and who invited. The invitee signs in, or signs up with the same phone verification as
# anyone; the link then makes them a co-custodian, if the address they verified is the one invited.

INVITATION_SALT = "keryu.registry.household-invitation"


@dataclass(frozen=True)
class Invitation:
    subject: Subject
    email: str
    inviter: Custodian


def household_invitation_token(*, subject: Subject, inviter: Custodian, email: str) -> str:
    """A signed invitation to care for `subject`. Only its first custodian invites."""
    if not Custodianship.objects.filter(subject=subject, custodian=inviter, role=CustodianRole.OWNER).exists():
        raise ValidationError(_("Only the first custodian can invite others."), code="not_first_custodian")
    email = email.strip().lower()
    if Custodianship.objects.filter(subject=subject, custodian__user__email__iexact=email).exists():
        raise ValidationError(_("This person already cares for %(name)s.") % {"name": subject.name}, code="member")
    return signing.dumps({"s": subject.pk, "e": email, "by": inviter.pk}, salt=INVITATION_SALT, compress=True)


def household_invitation_read(token: str) -> Invitation:
    """The invitation behind a link, or ValidationError if it is forged, expired, or its subject or inviter
    no longer holds (an inviter who left the household cannot let anyone in)."""
    max_age = settings.KERYU_HOUSEHOLD_INVITATION_DAYS * 86400
    try:
        data = signing.loads(token, salt=INVITATION_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError(_("This invitation has expired. Ask for a new one."), code="expired") from None
    except signing.BadSignature:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from None
    ship = (
        Custodianship.objects.select_related("subject", "custodian__user")
        .filter(
            subject_id=data["s"],
            custodian_id=data["by"],
            subject__archived_at__isnull=True,
            custodian__archived_at__isnull=True,
        )
        .first()
    )
    if ship is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    return Invitation(subject=ship.subject, email=data["e"], inviter=ship.custodian)


def custodianship_join(*, token: str, custodian: Custodian) -> Custodianship:
    """Accept an invitation: `custodian` becomes a co-custodian. Their verified email must be the one invited
    (a forwarded link lets nobody else in). Accepting twice is harmless."""
    invitation = household_invitation_read(token)
    if custodian.email.strip().lower() != invitation.email:
        raise ValidationError(_("This invitation was sent to another email address."), code="wrong_email")
    if custodian.archived_at is not None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    ship, _created = Custodianship.objects.get_or_create(
        subject=invitation.subject, custodian=custodian, defaults={"role": CustodianRole.CO}
    )
    return ship


def custodianship_leave(*, subject: Subject, custodian: Custodian) -> None:
    """`custodian` stops caring for `subject`. A subject always keeps at least one custodian: the last one
    cannot leave (they archive or delete the subject instead). When the first custodian leaves, the longest-
    standing co-custodian becomes the first custodian (Subject.custodian follows)."""
    with transaction.atomic():
        Subject.objects.select_for_update().filter(pk=subject.pk).first()
        ships = list(Custodianship.objects.filter(subject=subject).order_by("created_at", "pk"))
        own = next((s for s in ships if s.custodian_id == custodian.pk), None)
        if own is None:
            return
        others = [s for s in ships if s.pk != own.pk]
        if not others:
            raise ValidationError(
                _("%(name)s needs at least one custodian: you are the last one.") % {"name": subject.name},
                code="last_custodian",
            )
        own.delete()
        if own.role == CustodianRole.OWNER:
            heir = others[0]
            Custodianship.objects.filter(pk=heir.pk).update(role=CustodianRole.OWNER)
            Subject.objects.filter(pk=subject.pk).update(custodian_id=heir.custodian_id, updated_at=timezone.now())
    subject.refresh_from_db()


def custodian_households_leave(*, custodian: Custodian) -> int:
    """Before a custodian is deleted or archived: leave every subject shared with someone else (theirs alone
    stay, to be deleted or archived with them). Returns how many were left."""
    left = 0
    for ship in Custodianship.objects.filter(custodian=custodian).select_related("subject"):
        if Custodianship.objects.filter(subject_id=ship.subject_id).exclude(pk=ship.pk).exists():
            custodianship_leave(subject=ship.subject, custodian=custodian)
            left += 1
    return left
