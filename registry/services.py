"""Writes for the registry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .crypto import phone_hash
from .models import Custodian, QRCode, Subject
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
    subject.photo.save(clean.name, clean, save=False)
    Subject.objects.filter(pk=subject.pk).update(photo=subject.photo.name, updated_at=timezone.now())
    if old_name and old_name != subject.photo.name:
        subject.photo.storage.delete(old_name)
    return subject


def subject_photo_clear(*, subject: Subject) -> Subject:
    if subject.photo:
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
