"""Writes for the registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils import timezone

from core.encryption import phone_hash

from .models import (
    CUSTODIAN_CONTACT_FIELDS,
    SUBJECT_DOCTOR_FIELDS,
    SUBJECT_DOCTOR_SHARING_FIELDS,
    SUBJECT_MEDICAL_FIELDS,
    Custodian,
    QRCode,
    Subject,
)
from .photos import photo_clean


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

    parsed = to_python(phone_number, region="MX")
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


def subject_photo_set(*, subject: Subject, upload) -> Subject:
    """Validate, strip and store a photo under a random name, removing the previous file."""
    clean = photo_clean(upload)
    old_name = subject.photo.name if subject.photo else ""
    subject.photo.save(clean.name or "", clean, save=False)  # (photo_clean always names it photo.<ext>)
    Subject.objects.filter(pk=subject.pk).update(photo=subject.photo.name, updated_at=timezone.now())
    if old_name and old_name != subject.photo.name:
        subject.photo.storage.delete(old_name)
    return subject


def subject_photo_clear(*, subject: Subject) -> Subject:
    if subject.photo.name:
        subject.photo.storage.delete(subject.photo.name)
    Subject.objects.filter(pk=subject.pk).update(photo="", updated_at=timezone.now())
    subject.photo = ""
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
    qr_code.refresh_from_db()
    return qr_code


def qr_code_deactivate(*, qr_code: QRCode) -> QRCode:
    QRCode.objects.filter(pk=qr_code.pk).update(is_active=False)
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
    subject.refresh_from_db()
    return subject


def subject_remove(*, subject: Subject) -> Removal:
    """What "delete" means for a subject: deleted if nothing refers to it, archived if alarms do."""
    return _delete_or_archive(subject, lambda: subject_archive(subject=subject))


def custodian_archive(*, custodian: Custodian) -> Custodian:
    """Archive the custodian and every subject, and switch the account off (no sign-in). Idempotent."""
    now = timezone.now()
    with transaction.atomic():
        Custodian.objects.filter(pk=custodian.pk, archived_at__isnull=True).update(archived_at=now, updated_at=now)
        type(custodian.user).objects.filter(pk=custodian.user_id).update(is_active=False)
        for subject in Subject.objects.filter(custodian=custodian, archived_at__isnull=True):
            subject_archive(subject=subject)
    custodian.refresh_from_db()
    return custodian


def custodian_remove(*, custodian: Custodian) -> Removal:
    """What "delete" means for a custodian record: deleted (with its subjects) unless alarms refer to them."""
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
