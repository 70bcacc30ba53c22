"""Writes for the registry."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import QRCode, Subject


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
