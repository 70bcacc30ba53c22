"""Reads for the registry, including the one place that says what a user may see."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db import router
from django.db.models import Model, ProtectedError, QuerySet, RestrictedError
from django.db.models.deletion import Collector
from django.utils import timezone

from core.roles import STAFF, scope_to_owner, user_is_staff

from .models import Custodian, CustodianRole, Custodianship, EmergencyContact, QRCode, Subject

# Archived records (deleted while they had alarms, see registry.services.subject_remove) are hidden from
# their custodian everywhere these scopes reach: lists, choosers, edit, codes, dashboard. Staff still see them.


# A subject is shared by its household: every custodian with a Custodianship reaches it, and everything that
# hangs off a subject (codes, contacts, alarms, exports, the API) is scoped through SUBJECT_CUSTODIAN_USER.
# One custodianship per (subject, custodian) and one custodian per user: the join never duplicates a row.
SUBJECT_CUSTODIAN_USER = "custodianships__custodian__user"


def custodians_visible_to(user) -> QuerySet[Custodian]:
    return scope_to_owner(Custodian.objects.select_related("user"), user, owner="user", archived_at__isnull=True)


def subjects_visible_to(user) -> QuerySet[Subject]:
    subjects = Subject.objects.select_related("custodian__user")
    return scope_to_owner(subjects, user, owner=SUBJECT_CUSTODIAN_USER, archived_at__isnull=True)


def qr_codes_visible_to(user) -> QuerySet[QRCode]:
    codes = QRCode.objects.select_related("subject__custodian__user")
    return scope_to_owner(codes, user, owner=f"subject__{SUBJECT_CUSTODIAN_USER}", subject__archived_at__isnull=True)


def subjects_removable_by(user) -> QuerySet[Subject]:
    """The subjects `user` may delete or archive: staff, whatever they reach; a custodian, only those they are the
    first custodian of. Archiving takes a shared subject from the whole household, so a co-custodian leaves
    instead (registry.services.custodianship_leave)."""
    subjects = subjects_visible_to(user)
    if user_is_staff(user):
        return subjects
    firsts = Custodianship.objects.filter(custodian__user=user, role=CustodianRole.OWNER).values("subject_id")
    return subjects.filter(pk__in=firsts)


def subject_custodians(subject: Subject) -> list[Custodian]:
    """The subject's custodians, the first one first: who an alarm reaches as a custodian."""
    return [
        c.custodian
        for c in subject.custodianships.select_related("custodian__user")
        .filter(custodian__archived_at__isnull=True)
        .order_by("-role", "created_at", "pk")  # "owner" sorts after "co": reversed puts the first custodian first
    ]


def subject_custodianships(subject: Subject) -> QuerySet[Custodianship]:
    return subject.custodianships.select_related("custodian__user").order_by("-role", "created_at", "pk")


def custodianship_of(*, subject: Subject, user) -> Custodianship | None:
    if user is None or not user.is_authenticated:
        return None
    return subject.custodianships.filter(custodian__user=user).first()


def deletion_archives(instance: Model) -> bool:
    """Whether deleting `instance` would be refused because history (alarms) refers to it, so "delete"
    archives it instead. Asks Django's deletion collector, which follows the same on_delete rules."""
    collector = Collector(using=router.db_for_write(type(instance)), origin=instance)
    try:
        collector.collect([instance])
    except (ProtectedError, RestrictedError):
        return True
    return False


def qr_code_get_inactive(*, code: uuid_lib.UUID | str) -> QRCode | None:
    """A code that exists but cannot raise an alarm (deactivated, or its subject is): its custodian is told.
    An archived subject's codes are gone as far as a finder is concerned."""
    return (
        QRCode.objects.select_related("subject__custodian__user")
        .filter(uuid=code, subject__archived_at__isnull=True)
        .exclude(is_active=True, subject__is_active=True)
        .first()
    )


def qr_code_get_for_scan(*, code: uuid_lib.UUID | str) -> QRCode | None:
    """The code behind a scan URL if it can raise an alarm: active, on an active subject."""
    return (
        QRCode.objects.select_related("subject__custodian__user")
        .filter(uuid=code, is_active=True, subject__is_active=True, subject__archived_at__isnull=True)
        .first()
    )


def contacts_visible_to(user) -> QuerySet[EmergencyContact]:
    return EmergencyContact.objects.filter(subject__in=subjects_visible_to(user))


# What each reader may see of a subject beyond the first name: (profile key, field, the flag that shows it to a
# finder, the flag that shows it to the doctor during an open alarm). The doctor also sees what finders see.
ALWAYS, NEVER = "always", "never"
DISCLOSURES: tuple[tuple[str, str, str, str], ...] = (
    ("has_photo", "photo", "share_photo", "doctor_sees_photo"),
    ("allergies", "allergies", "share_allergies", "doctor_sees_allergies"),
    ("medical_conditions", "medical_conditions", "share_conditions", "doctor_sees_conditions"),
    ("medications", "medications", NEVER, "doctor_sees_medications"),
    ("public_message", "public_message", ALWAYS, ALWAYS),
)


def _allowed(subject: Subject, flag: str) -> bool:
    return flag == ALWAYS or (flag != NEVER and bool(getattr(subject, flag)))


def _profile(subject: Subject, *, doctor: bool) -> dict[str, object]:
    profile: dict[str, object] = {"first_name": subject.first_name}
    for key, field, finder_flag, doctor_flag in DISCLOSURES:
        value = getattr(subject, field)
        if value and (_allowed(subject, finder_flag) or (doctor and _allowed(subject, doctor_flag))):
            profile[key] = True if key == "has_photo" else value
    return profile


def subject_public_profile(subject: Subject) -> dict[str, object]:
    """What a finder may see: the first name always, everything else only if the custodian shared it."""
    return _profile(subject, doctor=False)


def subject_responder_profile(subject: Subject) -> dict[str, object]:
    """What the subject's doctor may see while an alarm is open: what a finder sees, plus the medical details
    the custodian ticked for the doctor. Nothing else (no surname, no family details, no other doctor field)."""
    return _profile(subject, doctor=True)


def subject_photo_get_public(*, code: uuid_lib.UUID | str) -> Subject | None:
    """The subject whose photo a finder may see through an active code: only if the custodian shared it."""
    qr_code = qr_code_get_for_scan(code=code)
    if qr_code is None or not qr_code.subject.share_photo or not qr_code.subject.photo:
        return None
    return qr_code.subject


@dataclass(frozen=True)
class CodeUsage:
    scans: int
    alarms: int
    last_used: datetime | None
    recent: list


def qr_code_usage(qr_code: QRCode) -> CodeUsage:
    """Scans that raised an alarm, alarms, last use. Read through the reverse relation: no alerts import."""
    alarms = getattr(qr_code, "alarms", None)
    if alarms is None:
        return CodeUsage(scans=0, alarms=0, last_used=qr_code.last_used, recent=[])
    total = alarms.count()
    scans = alarms.exclude(situation_type="TEST").count()
    return CodeUsage(scans=scans, alarms=total, last_used=qr_code.last_used, recent=list(alarms.order_by("-pk")[:10]))


def subject_scan_history(subject: Subject, *, limit: int = 20) -> list:
    """The subject's alarms (scans of any of their codes and tests), newest first. Through the reverse relation:
    registry does not import alerts."""
    alarms = getattr(subject, "alarms", None)
    if alarms is None:
        return []
    return list(alarms.select_related("qr_code").order_by("-timestamp", "-pk")[:limit])


def dashboard_custodian(user) -> list[dict]:
    """The custodian's subjects with their active code and most recent alarms."""
    rows = []
    for subject in subjects_visible_to(user).prefetch_related("qr_codes"):
        active = next((c for c in subject.qr_codes.all() if c.is_active), None)
        alarms = getattr(subject, "alarms", None)
        recent = list(alarms.order_by("-pk")[:3]) if alarms is not None else []
        rows.append({"subject": subject, "active_code": active, "codes": len(subject.qr_codes.all()), "alarms": recent})
    return rows


def dashboard_staff_totals(*, now: datetime | None = None) -> dict[str, int]:
    """Totals for staff. Custodians exclude staff accounts; alarms are counted through the subject relation."""
    now = now or timezone.now()
    custodians = Custodian.objects.exclude(user__is_staff=True).exclude(user__is_superuser=True)
    custodians = custodians.exclude(user__groups__name=STAFF)
    totals = {
        "custodians": custodians.count(),
        "subjects": Subject.objects.filter(archived_at__isnull=True).count(),
        "active_codes": QRCode.objects.filter(is_active=True).count(),
    }
    try:
        alarm_model = Subject._meta.get_field("alarms").related_model
    except FieldDoesNotExist:
        alarm_model = None
    if alarm_model is not None:
        # By `timestamp` (when the alarm was raised; indexed), not created_at: a sequential scan of every
        # alarm on each dashboard view (docs/benchmarks.md).
        totals["alarms_24h"] = alarm_model._default_manager.filter(timestamp__gte=now - timedelta(hours=24)).count()
        totals["alarms_7d"] = alarm_model._default_manager.filter(timestamp__gte=now - timedelta(days=7)).count()
    return totals


def short_code_normalise(raw: str) -> str:
    """A short code as typed ("1a2b-3c4d", " 1A2B 3C4D ") in its stored form, or "" if it cannot be one."""
    text = "".join(ch for ch in (raw or "") if ch.isalnum()).upper()
    return text if len(text) == 8 and all(ch in "0123456789ABCDEF" for ch in text) else ""


def qr_code_get_by_short_code(*, short_code: str) -> QRCode | None:
    """The badge behind a typed short code, active or not (an archived subject's codes are gone)."""
    code = short_code_normalise(short_code)
    if not code:
        return None
    return QRCode.objects.select_related("subject").filter(short_code=code, subject__archived_at__isnull=True).first()
