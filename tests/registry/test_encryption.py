"""Medical, doctor and phone fields are ciphertext in the database, readable through the ORM, rotatable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from core.encryption import phone_hash
from registry.models import Custodian, EmergencyContact, Subject
from registry.services import custodian_phone_set, custodian_phone_taken

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_raw_sql_on_the_subject_table_shows_ciphertext_not_the_medical_text(alice_subject):
    alice_subject.medications = "Insulin glargine 10 IU"
    alice_subject.doctor_name = "Dra. Imelda Quiroz"
    alice_subject.doctor_phone = "+525512345678"
    alice_subject.save()
    for column, plain in [
        ("medical_conditions", "Type 1 diabetes"),
        ("allergies", "Penicillin"),
        ("medications", "Insulin"),
        ("doctor_name", "Imelda"),
        ("doctor_phone", "12345678"),
    ]:
        stored = _raw("registry_subject", column, alice_subject.pk)
        assert plain not in stored, column
        assert stored.startswith("gAAAAA"), column  # a Fernet token
    fresh = Subject.objects.get(pk=alice_subject.pk)
    assert fresh.medical_conditions == "Type 1 diabetes"
    assert str(fresh.doctor_phone) == "+525512345678"


def test_custodian_and_contact_phones_and_address_are_encrypted(alice, alice_subject):
    custodian = alice.custodian
    custodian.address = "Calle Ámsterdam 12, Condesa"
    custodian.emergency_phone = "+525598765432"
    custodian.save()
    contact = EmergencyContact.objects.create(subject=alice_subject, name="Carmen", phone_number="+525511112222")
    assert "Condesa" not in _raw("registry_custodian", "address", custodian.pk)
    assert "98765432" not in _raw("registry_custodian", "emergency_phone", custodian.pk)
    assert "5255" not in _raw("registry_custodian", "phone_number", custodian.pk)
    assert "11112222" not in _raw("registry_emergencycontact", "phone_number", contact.pk)
    assert str(EmergencyContact.objects.get(pk=contact.pk).phone_number) == "+525511112222"


def test_two_writes_of_the_same_value_give_different_ciphertexts(alice_subject):
    first = _raw("registry_subject", "allergies", alice_subject.pk)
    alice_subject.save()
    assert _raw("registry_subject", "allergies", alice_subject.pk) != first


def test_phone_set_normalises_keeps_the_keyed_hash_and_refuses_duplicates(alice, bob):
    custodian_phone_set(custodian=alice.custodian, phone_number="55 1234 5678")
    alice.custodian.refresh_from_db()
    assert str(alice.custodian.phone_number) == "+525512345678"
    assert alice.custodian.phone_hash == phone_hash("+525512345678")
    assert "+525512345678" not in alice.custodian.phone_hash
    assert custodian_phone_taken(e164="+525512345678")
    assert not custodian_phone_taken(e164="+525512345678", exclude_pk=alice.custodian.pk)
    with pytest.raises(Exception, match="already registered"):
        custodian_phone_set(custodian=bob.custodian, phone_number="+52 55 1234 5678")


def test_changing_the_phone_resets_its_verification(alice):
    from django.utils import timezone

    Custodian.objects.filter(pk=alice.custodian.pk).update(phone_verified_at=timezone.now())
    alice.custodian.refresh_from_db()
    assert alice.custodian.phone_verified
    custodian_phone_set(custodian=alice.custodian, phone_number="+525587654321")
    assert not alice.custodian.phone_verified


def test_rotation_re_encrypts_with_the_new_key_and_the_old_key_can_then_go(settings, alice_subject):
    old = settings.KERYU_FIELD_ENCRYPTION_KEYS
    new_key = Fernet.generate_key().decode()
    settings.KERYU_FIELD_ENCRYPTION_KEYS = [new_key, *old]
    call_command("rotate_field_encryption", stdout=open("/dev/null", "w"))
    settings.KERYU_FIELD_ENCRYPTION_KEYS = [new_key]
    assert Subject.objects.get(pk=alice_subject.pk).allergies == "Penicillin"
    settings.KERYU_FIELD_ENCRYPTION_KEYS = old
    with pytest.raises(ImproperlyConfigured):
        Subject.objects.get(pk=alice_subject.pk)


def test_rotation_covers_every_app_and_the_photo_files(settings, alice, alice_subject):
    """The message log, the alarms' finder details and the photos use the same keys: rotating must reach them,
    or removing the old key makes them unreadable."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from alerts.models import Alarm
    from messaging.services import message_create
    from registry.services import subject_photo_set

    from ..factories import AlarmFactory
    from .conftest import png_bytes

    message = message_create(to="+525512345678", channel="development", content="Finder: Ana", owner=alice)
    alarm = AlarmFactory(subject=alice_subject, finder_name="Ana", finder_phone="+525599990000")
    subject_photo_set(subject=alice_subject, upload=SimpleUploadedFile("s.png", png_bytes(), "image/png"))
    old = settings.KERYU_FIELD_ENCRYPTION_KEYS
    new_key = Fernet.generate_key().decode()
    settings.KERYU_FIELD_ENCRYPTION_KEYS = [new_key, *old]
    call_command("rotate_field_encryption", stdout=open("/dev/null", "w"))
    settings.KERYU_FIELD_ENCRYPTION_KEYS = [new_key]
    message = type(message).objects.get(pk=message.pk)
    assert (message.to, message.content) == ("+525512345678", "Finder: Ana")
    assert Alarm.objects.get(pk=alarm.pk).finder_name == "Ana"
    subject = Subject.objects.get(pk=alice_subject.pk)
    with subject.photo.open("rb") as handle:
        assert handle.read().startswith(b"\x89PNG")
