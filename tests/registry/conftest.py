"""Registry fixtures on top of the shared cast: Alice's subject gets a contact and a photo."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from registry.models import EmergencyContact
from registry.services import custodian_phone_hash_sync, subject_photo_set


def png_bytes(size=(64, 48), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def alice_full(alice, alice_code):
    """Alice's subject with a contact, a photo and a hashed phone: every door has something to leak."""
    subject = alice_code.subject
    subject.doctor_name = "Dra. Imelda Quiroz"
    subject.save()
    EmergencyContact.objects.create(subject=subject, name="Abuela Carmen", phone_number="+525511112222")
    subject_photo_set(subject=subject, upload=SimpleUploadedFile("sofia.png", png_bytes(), "image/png"))
    custodian_phone_hash_sync(custodian=alice.custodian)
    subject.refresh_from_db()
    return alice_code
