"""Idempotent demo data: staff, an editor, two custodians each with a subject and an active code."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.roles import CUSTODIANS, EDITORS, STAFF
from home.setup import groups_ensure, pages_ensure
from registry.models import Custodian, EmergencyContact, QRCode, Subject
from registry.services import custodian_phone_hash_sync, qr_code_activate, subject_photo_set

DEMO_PASSWORD = "keryu-demo-pass"  # noqa: S105  (demo data only; printed so a newcomer can sign in)
DEMO_TOTP_KEY = b"keryu-demo-totp-key!"  # 20 bytes; printed as base32 so it can be typed into an authenticator app
DEMO_BACKUP_CODE = "demo1234"  # a static code, re-added on every run (each use consumes it)

PEOPLE = [
    # username, full name, phone, subject, dob, language (every demo user's email is <username>@example.com)
    ("alice", "Alice Arroyo", "+525512345678", "Sofía Arroyo", "2017-04-02", "es"),
    ("bob", "Bob Baker", "+525587654321", "Walter Baker", "1941-09-14", "en"),
]


class Command(BaseCommand):
    help = "Create demo users, subjects and codes (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--allow-production", action="store_true", help="Seed even with DEBUG off.")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("Refusing to create demo users with known passwords while DEBUG is off.")
        groups_ensure()
        pages_ensure()
        with transaction.atomic():
            self._user("staff", "Sam Staff", STAFF, is_staff=True, is_superuser=True)
            self._user("editor", "Eve Editor", EDITORS)
            scan_urls = []
            for username, full_name, phone, subject_name, dob, language in PEOPLE:
                user = self._user(username, full_name, CUSTODIANS)
                custodian, _ = Custodian.objects.get_or_create(
                    user=user, defaults={"phone_number": phone, "language": language}
                )
                subject, _ = Subject.objects.get_or_create(
                    custodian=custodian, name=subject_name, defaults={"date_of_birth": dob}
                )
                code = subject.qr_codes.filter(is_active=True).first() or QRCode.objects.create(subject=subject)
                code = qr_code_activate(qr_code=code)
                scan_urls.append((subject.name, code.scan_url))
                custodian_phone_hash_sync(custodian=custodian)
                scan_urls.extend(registry_demo(custodian))
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}): staff, editor, alice, bob")
        self._demo_second_factor()
        for name, url in scan_urls:
            self.stdout.write(f"Scan URL for {name}: {url}")

    def _user(self, username: str, full_name: str, group: str, **flags: bool) -> User:
        """The demo user in `group` (created with the demo password if new, never changed after)."""
        first_name, last_name = full_name.split(" ", 1)
        defaults = {"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com", **flags}
        user, created = User.objects.get_or_create(username=username, defaults=defaults)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=group))
        return user

    def _demo_second_factor(self) -> None:
        """Both consoles ask for a second factor: give every demo user a known TOTP secret and backup code."""
        import base64

        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        key_hex = DEMO_TOTP_KEY.hex()
        for user in User.objects.filter(username__in=["staff", "editor", "alice", "bob"]):
            TOTPDevice.objects.get_or_create(user=user, name="Demo authenticator", defaults={"key": key_hex})
            device, _ = StaticDevice.objects.get_or_create(user=user, name="Demo backup codes")
            if not device.token_set.filter(token=DEMO_BACKUP_CODE).exists():
                device.token_set.create(token=DEMO_BACKUP_CODE)
        secret = base64.b32encode(DEMO_TOTP_KEY).decode()
        self.stdout.write(f"Second factor (demo only): TOTP secret {secret} for all, or backup code {DEMO_BACKUP_CODE}")


# --- Registry demo records (issue 3): realistic details, contacts, locally drawn photos ------------------

SUBJECT_DETAILS = {
    "Sofía Arroyo": {
        "gender": "F",
        "medical_conditions": "Type 1 diabetes",
        "allergies": "Penicillin",
        "medications": "Insulin (pump)",
        "doctor_name": "Dra. Imelda Quiroz",
        "doctor_phone": "+525552001122",
        "doctor_speciality": "Pediatric endocrinology",
        "share_allergies": True,
        "share_conditions": True,
        "share_photo": True,
        "public_message": "Sofía tiene diabetes: si está confundida, ofrézcale jugo. ¡Gracias!",
    },
    "Walter Baker": {
        "gender": "M",
        "medical_conditions": "Alzheimer's disease (moderate)",
        "medications": "Donepezil 10 mg",
        "doctor_name": "Dr. Ernesto Villa",
        "doctor_phone": "+525553004455",
        "doctor_speciality": "Geriatrics",
        "share_conditions": True,
        "public_message": "Walter may not remember his address. Please stay with him; his family is on the way.",
    },
}

EXTRA_SUBJECTS = {
    # custodian username -> subjects besides the first one
    "alice": [("Mateo Arroyo", "2020-11-15", {"gender": "M", "allergies": "Peanuts", "share_allergies": True})],
}

# Emergency contacts per subject, in order: these fields of EmergencyContact.
CONTACT_FIELDS = ("name", "relation", "phone_number", "email", "preferred_channel")
CONTACTS = {
    "Sofía Arroyo": [("Carmen Arroyo", "Grandmother", "+525511112222", "", "whatsapp")],
    "Mateo Arroyo": [("Carmen Arroyo", "Grandmother", "+525511112222", "", "whatsapp")],
    "Walter Baker": [
        ("Linda Baker", "Daughter", "+525566667777", "linda@example.com", "sms"),
        ("Casa Sol care home", "Care home", "", "front-desk@example.com", "email"),
    ],
}

COLOURS = [(230, 126, 34), (52, 152, 219), (155, 89, 182), (26, 188, 156)]


def demo_photo(name: str, index: int):
    """A locally drawn avatar (no stock photos, no network): a coloured disc with the initials."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 320), (245, 245, 245))
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 300, 300), fill=COLOURS[index % len(COLOURS)])
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    draw.text((160, 160), initials, fill="white", anchor="mm", font_size=110)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", out.getvalue(), content_type="image/jpeg")


def registry_demo(custodian: Custodian) -> list[tuple[str, str]]:
    """Details, extra subjects, contacts, photos and codes for one demo custodian; idempotent."""
    urls = []
    for name, dob, extra in EXTRA_SUBJECTS.get(custodian.user.username, []):
        subject, _ = Subject.objects.get_or_create(custodian=custodian, name=name, defaults={"date_of_birth": dob})
        for key, value in extra.items():
            setattr(subject, key, value)
        subject.save()
        if not subject.qr_codes.exists():
            urls.append((subject.name, qr_code_activate(qr_code=QRCode.objects.create(subject=subject)).scan_url))
    for index, subject in enumerate(custodian.subjects.order_by("pk")):
        details = SUBJECT_DETAILS.get(subject.name)
        if details and not subject.doctor_name:
            for key, value in details.items():
                setattr(subject, key, value)
            subject.save()
        if not subject.contacts.exists():
            for order, row in enumerate(CONTACTS.get(subject.name, [])):
                fields = dict(zip(CONTACT_FIELDS, row, strict=True))
                EmergencyContact.objects.create(subject=subject, sort_order=order, **fields)
        if not subject.photo:
            subject_photo_set(subject=subject, upload=demo_photo(subject.name, index + custodian.pk))
    return urls
