"""The data a run needs, created with bulk_create and reused by later runs when it is already there.

- a staff user who signs in through the real login and a static OTP token;
- custodians (phone on Meta WhatsApp) with "scan" subjects (one active code each, no contacts): the
  distinct codes that scan POSTs and latency scans use, each code at most once per run;
- "notify" subjects with four WhatsApp emergency contacts: an INJURED alarm reaches five people at once;
- 100,000 alarms spread over the last year, 10,000 of them on one subject (the Excel export) and 1,000 on
  another (the PDF export). Alarms, attempts and messages are emptied at the start of every run.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.utils import timezone

from alerts.models import Alarm, NotificationStatus, SituationType
from core.encryption import phone_hash
from core.roles import CUSTODIANS, STAFF
from messaging.models import MessageTemplate
from messaging.services import meta_template_status_update
from registry.models import Custodian, EmergencyContact, QRCode, Subject, short_code_for

from .config import Config

STAFF_USERNAME = "bench-staff"
STAFF_PASSWORD = "bench-staff-passphrase-1"  # noqa: S105  (bench database only)
CUSTODIANS_COUNT = 300
EXPORT_XLSX, EXPORT_PDF = "Export Ten-thousand", "Export Thousand"
BATCH = 2000


@dataclass(frozen=True)
class Seeded:
    scan_codes: list[str]  # UUIDs of active codes on "scan" subjects, in a fixed order
    notify_codes: list[int]  # QRCode pks of "notify" subjects
    xlsx_subject: int
    pdf_subject: int
    staff_id: int


def reset_activity() -> None:
    """Empty what runs create (alarms, attempts, messages, provider events); keep people and codes."""
    tables = ["alerts_alarm", "alerts_notificationattempt", "messaging_message"]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def approve_meta_templates() -> None:
    """Meta sends only approved templates: mark the shipped ones approved, as Meta's webhook would."""
    pairs = set(
        MessageTemplate.objects.exclude(whatsapp_template_name="").values_list(
            "whatsapp_template_name", "whatsapp_language_code"
        )
    )
    pairs |= {("qr_template_on_m", "es_MX"), ("qr_template_on_m", "en_US")}
    for name, language in pairs:
        meta_template_status_update(name=name, language_code=language, status="APPROVED")


def _phone(n: int) -> str:
    return f"+5255{n:08d}"


def _staff() -> User:
    user, _ = User.objects.get_or_create(
        username=STAFF_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.com"}
    )
    user.set_password(STAFF_PASSWORD)
    user.is_staff = user.is_superuser = user.is_active = True
    user.save()
    user.groups.add(Group.objects.get(name=STAFF))
    return user


def _code(subject: Subject, now, taken: set[str] | None = None) -> QRCode:
    """An active code with its short code set: bulk_create skips QRCode.save(), which would derive it, and an
    empty short_code is unique (the second one fails on a fresh database). Same rule as save(): the first 8 hex
    digits of the UUID, another UUID when the prefix is taken (in the database or in this batch)."""
    taken = _TAKEN if taken is None else taken
    while True:
        value = uuid.uuid4()
        short = short_code_for(value)
        if short not in taken:
            taken.add(short)
            return QRCode(subject=subject, uuid=value, short_code=short, is_active=True, activated_at=now)


_TAKEN: set[str] = set()


def _people(config: Config) -> None:
    """Custodians, subjects, codes and contacts, all at once (first run only)."""
    _TAKEN.clear()
    _TAKEN.update(QRCode.objects.values_list("short_code", flat=True))
    password = make_password(None)  # unusable: custodians never sign in here
    group = Group.objects.get(name=CUSTODIANS)
    users = User.objects.bulk_create(
        [User(username=f"bench-c{i}", password=password, first_name=f"Carer{i}") for i in range(CUSTODIANS_COUNT)]
    )
    group.user_set.add(*users)
    custodians = Custodian.objects.bulk_create(
        [
            Custodian(user=u, phone_number=_phone(i), phone_hash=phone_hash(_phone(i)), language="es")
            for i, u in enumerate(users)
        ]
    )
    now = timezone.now()
    names = [f"Scan {i:05d}" for i in range(config.scan_subjects)]
    names += [f"Notify {i:05d}" for i in range(config.notify_subjects)]
    names += [EXPORT_XLSX, EXPORT_PDF]
    subjects = Subject.objects.bulk_create(
        [Subject(custodian=custodians[i % len(custodians)], name=name) for i, name in enumerate(names)],
        batch_size=BATCH,
    )
    QRCode.objects.bulk_create([_code(s, now) for s in subjects], batch_size=BATCH)
    contacts = []
    for n, subject in enumerate(s for s in subjects if s.name.startswith("Notify ")):
        for k in range(config.contacts_per_subject):
            number = _phone(10_000_000 + n * config.contacts_per_subject + k)
            contacts.append(
                EmergencyContact(subject=subject, name=f"Contact {k}", phone_number=number, language="es", sort_order=k)
            )
    EmergencyContact.objects.bulk_create(contacts, batch_size=BATCH)


def _alarms(config: Config, xlsx_subject: int, pdf_subject: int) -> None:
    """`config.alarms` alarms over the past year (none today), seeded by a fixed RNG."""
    rng = random.Random(20261121)  # noqa: S311  (repeatable data, not secrets)
    now = timezone.now() - timedelta(days=2)
    subject_ids = list(Subject.objects.filter(name__startswith="Scan ").values_list("pk", flat=True))
    situations = [SituationType.LOST, SituationType.INJURED, SituationType.CONTACT]
    statuses = [
        NotificationStatus.SENT,
        NotificationStatus.DELIVERED,
        NotificationStatus.READ,
        NotificationStatus.FAILED,
    ]
    owners = [xlsx_subject] * 10_000 + [pdf_subject] * 1_000
    owners += [rng.choice(subject_ids) for _ in range(max(0, config.alarms - len(owners)))]
    rows = []
    for subject_id in owners[: config.alarms]:
        at = now - timedelta(seconds=rng.randrange(365 * 24 * 3600))
        acked = at + timedelta(minutes=rng.randrange(1, 30)) if rng.random() < 0.6 else None
        rows.append(
            Alarm(
                subject_id=subject_id,
                timestamp=at,
                situation_type=rng.choice(situations),
                description="Seeded for the benchmarks",
                location=f"Calle {rng.randrange(1, 500)}, Ciudad de México",
                notification_status=rng.choice(statuses),
                notification_sent=True,
                acknowledged_at=acked,
                resolved_at=acked + timedelta(hours=1) if acked and rng.random() < 0.5 else None,
            )
        )
        if len(rows) >= BATCH:
            Alarm.objects.bulk_create(rows)
            rows = []
    Alarm.objects.bulk_create(rows)
    # bulk_create leaves created_at at insert time: spread it like the timestamps (the dashboard counts it).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE alerts_alarm SET created_at = timestamp")


def seed(config: Config, *, alarms: bool) -> Seeded:
    staff = _staff()
    approve_meta_templates()
    expected = config.scan_subjects + config.notify_subjects + 2
    have = Subject.objects.filter(custodian__user__username__startswith="bench-c").count()
    if have != expected:
        with transaction.atomic():
            User.objects.filter(username__startswith="bench-c").delete()
            _people(config)
    subjects = dict(Subject.objects.filter(name__in=[EXPORT_XLSX, EXPORT_PDF]).values_list("name", "pk"))
    if alarms:
        with transaction.atomic():
            _alarms(config, subjects[EXPORT_XLSX], subjects[EXPORT_PDF])
    codes = QRCode.objects.filter(is_active=True, subject__custodian__user__username__startswith="bench-c")
    return Seeded(
        scan_codes=[
            str(u)
            for u in codes.filter(subject__name__startswith="Scan ").order_by("pk").values_list("uuid", flat=True)
        ],
        notify_codes=list(
            codes.filter(subject__name__startswith="Notify ").order_by("pk").values_list("pk", flat=True)
        ),
        xlsx_subject=subjects[EXPORT_XLSX],
        pdf_subject=subjects[EXPORT_PDF],
        staff_id=staff.pk,
    )
