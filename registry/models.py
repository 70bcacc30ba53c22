"""Custodians, the subjects in their care, and the QR codes on the subjects' badges."""

from __future__ import annotations

import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable

from core.contact import ContactChannel
from core.encryption import EncryptedCharField, EncryptedPhoneNumberField, EncryptedTextField

from .storage import photo_storage, photo_upload_to


class Language(models.TextChoices):
    SPANISH = "es", "Español"
    ENGLISH = "en", "English"


def validate_time_zone(name: str) -> None:
    """An IANA zone name this server knows (zoneinfo), or blank for the site's zone (settings.TIME_ZONE)."""
    if name and name not in zoneinfo.available_timezones():
        raise ValidationError(_("%(name)s is not a time zone."), params={"name": name}, code="time_zone")


def preferred_channel_field() -> models.CharField[str, str]:
    """The channel someone an alarm reaches wants to be written to first (a custodian, an emergency contact, a
    staff member on call)."""
    return models.CharField(
        max_length=16,
        choices=ContactChannel.choices,
        default=ContactChannel.WHATSAPP,
        verbose_name=_("preferred channel"),
    )


def language_field() -> models.CharField[str, str]:
    """The language they are written to in."""
    return models.CharField(
        max_length=2, choices=Language.choices, default=Language.SPANISH, verbose_name=_("language")
    )


class Archivable(models.Model):
    """A custodian or a subject. Alarms are history and protect what they name: "deleting" a custodian or subject
    with alarms archives it instead (registry.services.custodian_remove, subject_remove): hidden, the account
    switched off, its personal data purged after KERYU_ARCHIVE_RETENTION_DAYS."""

    archived_at = models.DateTimeField(
        null=True, blank=True, editable=False, db_index=True, verbose_name=_("archived at")
    )
    personal_data_purged_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("personal data purged at")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        abstract = True


def opt_in(help_text: StrOrPromise, *, verbose_name: StrOrPromise) -> models.BooleanField[bool, bool]:
    """What a subject's custodian chooses to show someone (a finder, the doctor): off until they switch it on."""
    return models.BooleanField(default=False, help_text=help_text, verbose_name=verbose_name)


class Custodian(Archivable):
    """A parent, guardian or caregiver: the person Keryu must reach."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custodian", verbose_name=_("user")
    )
    phone_number = EncryptedPhoneNumberField(blank=True, verbose_name=_("phone number"))
    # Keyed hash (HMAC, see core.encryption) of the E.164 phone, for duplicate detection without decrypting.
    # Kept by the services that write phones (registry.services.custodian_phone_set), not by save().
    phone_hash = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, verbose_name=_("phone hash")
    )
    emergency_phone = EncryptedPhoneNumberField(blank=True, verbose_name=_("emergency phone"))
    address = EncryptedTextField(blank=True, verbose_name=_("address"))
    language = language_field()
    # Every time this custodian reads is on this clock (core.timezones); blank: the site's. Validated, not a
    # `choices` list: the zone database changes with the server's tzdata, and a choices list would need a
    # migration each time. Written by accounts.services.custodian_profile_update only.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    preferred_channel = preferred_channel_field()
    email_verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("email verified at"))
    phone_verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("phone verified at"))
    # Opted out of the monthly reachability drill (a TEST message that checks the channels still work).
    drill_opt_out = models.BooleanField(default=False, verbose_name=_("drill opt out"))

    class Meta:
        verbose_name = _("custodian")
        verbose_name_plural = _("custodians")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def email(self) -> str:
        return self.user.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None


# How to reach a custodian beyond the account's email: encrypted at rest, edited only in the Wagtail admin
# through the services, left out of /ops/ exports unless staff ask (registry.resources), erased on purge.
CUSTODIAN_CONTACT_FIELDS = ("phone_number", "emergency_phone", "address")


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "O", _("Other")


# The plugin cannot find EmergencyContact's manager (`contacts`): its base, Wagtail's Orderable, has no type hints.
class Subject(ClusterableModel, Archivable):  # type: ignore[django-manager-missing]
    """A person in a custodian's care (a child, an elder, a person with a disability)."""

    custodian = models.ForeignKey(
        Custodian, on_delete=models.CASCADE, related_name="subjects", verbose_name=_("custodian")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    # What the badge prints ("Abuelo Tomás", "Tomás Q."): the custodian's choice; blank prints the full name.
    display_name = models.CharField(
        _("name on the badge"),
        max_length=60,
        blank=True,
        help_text=_("How the badge names them. Leave it blank to print the full name."),
    )
    date_of_birth = models.DateField(null=True, blank=True, verbose_name=_("date of birth"))
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True, verbose_name=_("gender"))
    medical_conditions = EncryptedTextField(blank=True, verbose_name=_("medical conditions"))
    allergies = EncryptedTextField(blank=True, verbose_name=_("allergies"))
    medications = EncryptedTextField(blank=True, verbose_name=_("medications"))
    doctor_name = EncryptedCharField(max_length=100, blank=True, verbose_name=_("doctor name"))
    doctor_phone = EncryptedPhoneNumberField(blank=True, verbose_name=_("doctor phone"))
    doctor_address = EncryptedTextField(blank=True, verbose_name=_("doctor address"))
    doctor_speciality = EncryptedCharField(max_length=100, blank=True, verbose_name=_("doctor speciality"))
    # Validated and re-encoded by registry.photos; random name, private storage, served by a scoped view.
    photo = models.FileField(
        upload_to=photo_upload_to, storage=photo_storage, blank=True, editable=False, verbose_name=_("photo")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("is active"))
    # What a finder who scans the code may see. The first name is always shown; everything else is opt-in.
    share_photo = opt_in(_("Show the photo on the scan page."), verbose_name=_("share photo"))
    share_allergies = opt_in(_("Show allergies on the scan page (first aid)."), verbose_name=_("share allergies"))
    share_conditions = opt_in(
        _("Show medical conditions on the scan page (first aid)."), verbose_name=_("share conditions")
    )
    public_message = models.CharField(
        max_length=280,
        blank=True,
        help_text=_("A short message shown to whoever finds this person."),
        verbose_name=_("public message"),
    )
    # What the subject's doctor sees, only while an alarm is open, behind the link in the doctor's alarm message
    # (registry.selectors.subject_responder_profile): these, plus whatever a finder is shown.
    doctor_sees_conditions = opt_in(
        _("During an open alarm, show the doctor the medical conditions."), verbose_name=_("doctor sees conditions")
    )
    doctor_sees_allergies = opt_in(
        _("During an open alarm, show the doctor the allergies."), verbose_name=_("doctor sees allergies")
    )
    doctor_sees_medications = opt_in(
        _("During an open alarm, show the doctor the medications."), verbose_name=_("doctor sees medications")
    )
    doctor_sees_photo = opt_in(
        _("During an open alarm, show the doctor the photo."), verbose_name=_("doctor sees photo")
    )

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""

    @property
    def badge_name(self) -> str:
        """The name printed on the badge: the display name the custodian chose, else the full name."""
        return self.display_name.strip() or self.name.strip()


# A subject's health details and doctor: encrypted at rest, two groups on the edit form, left out of /ops/
# exports unless staff ask (registry.resources), erased when an archived subject is purged.
SUBJECT_MEDICAL_FIELDS = ("medical_conditions", "allergies", "medications")
SUBJECT_DOCTOR_FIELDS = ("doctor_name", "doctor_phone", "doctor_address", "doctor_speciality")
# What the custodian lets a finder see on the scan page (registry.selectors.subject_public_profile).
SUBJECT_SHARING_FIELDS = ("share_photo", "share_allergies", "share_conditions", "public_message")
# What the custodian lets the subject's doctor see during an open alarm (registry.selectors.subject_responder_profile).
SUBJECT_DOCTOR_SHARING_FIELDS = (
    "doctor_sees_conditions",
    "doctor_sees_allergies",
    "doctor_sees_medications",
    "doctor_sees_photo",
)


def short_code_for(value: uuid.UUID | str) -> str:
    return uuid.UUID(str(value)).hex[:8].upper()  # str() too: a fresh instance may hold a str


class QRCode(models.Model):
    """The code printed on a badge. Its UUID is a secret: knowing it is what lets a finder raise an alarm."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("uuid"))
    # The human-readable form printed beside the code, and what a finder without data texts by SMS.
    short_code = models.CharField(max_length=8, unique=True, editable=False, verbose_name=_("short code"))
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="qr_codes", verbose_name=_("subject"))
    is_active = models.BooleanField(default=False, verbose_name=_("is active"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    activated_at = models.DateTimeField(null=True, blank=True, verbose_name=_("activated at"))
    last_used = models.DateTimeField(null=True, blank=True, verbose_name=_("last used"))

    class Meta:
        verbose_name_plural = _("QR codes")
        verbose_name = _("QR code")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject"], condition=Q(is_active=True), name="registry_one_active_qr_code_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} · {self.short_code}"

    def save(self, *args, **kwargs) -> None:
        if not self.short_code:
            # The first 8 hex digits of the UUID; a new code whose prefix is taken draws another UUID,
            # so an SMS short code always names exactly one badge.
            while True:
                candidate = short_code_for(self.uuid)
                if not QRCode.objects.filter(short_code=candidate).exists():
                    break
                self.uuid = uuid.uuid4()
            self.short_code = candidate
        super().save(*args, **kwargs)

    @property
    def scan_path(self) -> str:
        return f"/scan/{self.uuid}/"

    @property
    def scan_url(self) -> str:
        return settings.KERYU_PUBLIC_BASE_URL + self.scan_path


class CustodianRole(models.TextChoices):
    OWNER = "owner", _("First custodian")
    CO = "co", _("Co-custodian")


class Custodianship(models.Model):
    """One custodian of one subject: a household shares a subject between several custodians, each with their
    own console, language and channels. `Subject.custodian` is the first custodian (role OWNER), kept in step by
    registry.signals; the others join through an invitation (registry.services.custodianship_join)."""

    subject = models.ForeignKey(
        Subject, on_delete=models.CASCADE, related_name="custodianships", verbose_name=_("subject")
    )
    custodian = models.ForeignKey(
        Custodian, on_delete=models.CASCADE, related_name="custodianships", verbose_name=_("custodian")
    )
    role = models.CharField(_("role"), max_length=8, choices=CustodianRole.choices, default=CustodianRole.CO)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("custodianship")
        verbose_name_plural = _("custodianships")
        ordering = ["subject", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "custodian"], name="registry_one_custodianship_per_pair"),
            models.UniqueConstraint(
                fields=["subject"], condition=Q(role="owner"), name="registry_one_first_custodian_per_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.custodian} · {self.subject}"


class EmergencyContact(Orderable):
    """Someone besides the custodian to reach about a subject, in the order the custodian set."""

    subject = ParentalKey(Subject, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("subject"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    relation = models.CharField(max_length=50, blank=True, verbose_name=_("relation"))
    phone_number = EncryptedPhoneNumberField(blank=True, verbose_name=_("phone number"))
    email = models.EmailField(blank=True, verbose_name=_("email"))
    preferred_channel = preferred_channel_field()
    language = language_field()

    class Meta(Orderable.Meta):
        verbose_name_plural = _("emergency contacts")
        verbose_name = _("emergency contact")

    def __str__(self) -> str:
        return f"{self.name} ({self.relation})" if self.relation else self.name
