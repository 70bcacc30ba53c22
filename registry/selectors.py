"""Reads for the registry, including the one place that says what a user may see."""

from __future__ import annotations

import uuid as uuid_lib

from django.db.models import QuerySet

from keryu_site.roles import user_is_staff

from .models import Custodian, QRCode, Subject


def custodians_visible_to(user) -> QuerySet[Custodian]:
    qs = Custodian.objects.select_related("user")
    if user_is_staff(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(user=user)


def subjects_visible_to(user) -> QuerySet[Subject]:
    qs = Subject.objects.select_related("custodian__user")
    if user_is_staff(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(custodian__user=user)


def qr_codes_visible_to(user) -> QuerySet[QRCode]:
    qs = QRCode.objects.select_related("subject__custodian__user")
    if user_is_staff(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(subject__custodian__user=user)


def qr_code_get_for_scan(*, code: uuid_lib.UUID | str) -> QRCode | None:
    """The code behind a scan URL if it can raise an alarm: active, on an active subject."""
    return (
        QRCode.objects.select_related("subject__custodian__user")
        .filter(uuid=code, is_active=True, subject__is_active=True)
        .first()
    )
