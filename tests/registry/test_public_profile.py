"""A finder sees the first name, and only what the custodian chose to share."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.selectors import subject_public_profile
from registry.services import subject_photo_set

from .conftest import png_bytes

pytestmark = pytest.mark.django_db


def test_by_default_only_the_first_name_is_shared(alice_subject):
    alice_subject.doctor_name = "Dra. Imelda Quiroz"
    alice_subject.save()
    assert subject_public_profile(alice_subject) == {"first_name": "Sofía"}


def test_shared_fields_appear_and_others_do_not(alice_subject):
    alice_subject.share_allergies = True
    alice_subject.public_message = "Habla despacio, por favor"
    alice_subject.save()
    assert subject_public_profile(alice_subject) == {
        "first_name": "Sofía",
        "allergies": "Penicillin",
        "public_message": "Habla despacio, por favor",
    }


def test_the_scan_page_shows_only_the_shared_profile(client, alice_code):
    subject = alice_code.subject
    response = client.get(f"/scan/{alice_code.uuid}/")
    body = response.content.decode()
    assert "Sofía" in body and "Arroyo" not in body
    assert "Penicillin" not in body and "Type 1 diabetes" not in body
    subject.share_conditions = True
    subject.save()
    body = client.get(f"/scan/{alice_code.uuid}/").content.decode()
    assert "Type 1 diabetes" in body and "Penicillin" not in body


def test_the_photo_reaches_a_finder_only_when_shared_and_the_code_active(client, alice_code):
    subject = alice_code.subject
    subject_photo_set(subject=subject, upload=SimpleUploadedFile("s.png", png_bytes(), "image/png"))
    url = f"/scan-photo/{alice_code.uuid}/"
    assert client.get(url).status_code == 404
    assert "scan-photo" not in client.get(f"/scan/{alice_code.uuid}/").content.decode()
    subject.share_photo = True
    subject.save()
    assert client.get(url).status_code == 200
    assert url in client.get(f"/scan/{alice_code.uuid}/").content.decode()
    alice_code.is_active = False
    alice_code.save()
    assert client.get(url).status_code == 404
