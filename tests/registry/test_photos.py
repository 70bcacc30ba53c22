"""Photos: type decided by content, size limits, metadata stripped, stored privately under random names."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image

from registry.photos import photo_clean
from registry.services import subject_photo_set

from .conftest import png_bytes


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "KidCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (19.0, 25.0, 42.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (99.0, 9.0, 41.0)
    out = io.BytesIO()
    Image.new("RGB", (120, 90), (10, 120, 200)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_the_fixture_really_carries_gps():
    assert Image.open(io.BytesIO(_jpeg_with_gps())).getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_a_good_jpeg_is_re_encoded_without_gps_or_any_exif():
    clean = photo_clean(SimpleUploadedFile("kid.jpg", _jpeg_with_gps(), "image/jpeg"))
    data = clean.read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.size == (120, 90)
    assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not image.getexif()
    assert b"KidCam" not in data and b"Exif" not in data


@pytest.mark.parametrize(
    "payload",
    [
        b"<html><script>alert(1)</script></html>",
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    ],
    ids=["html", "pdf", "gif"],
)
def test_a_disguised_file_is_rejected_whatever_its_name_and_declared_type(payload):
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        photo_clean(SimpleUploadedFile("photo.jpg", payload, "image/jpeg"))


def test_a_10000_by_10000_image_is_rejected_before_decoding():
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000), 1).save(out, format="PNG")  # a few KB compressed
    with pytest.raises(ValidationError, match="4096 x 4096"):
        photo_clean(SimpleUploadedFile("huge.png", out.getvalue(), "image/png"))


def test_a_file_over_5_mb_is_rejected(settings):
    settings.KERYU_PHOTO_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="larger than"):
        photo_clean(SimpleUploadedFile("big.png", png_bytes((200, 200)) + b"\0" * 2000, "image/png"))


@pytest.mark.django_db
def test_photos_get_random_names_in_private_storage_and_no_media_url(alice_subject, settings):
    subject_photo_set(subject=alice_subject, upload=SimpleUploadedFile("Sofia Arroyo.png", png_bytes(), "image/png"))
    name = alice_subject.photo.name
    assert "Sofia" not in name and name.endswith(".png")
    path = Path(alice_subject.photo.path)
    assert path.exists() and "private" in path.parts
    assert alice_subject.photo.url == reverse("registry_subject_photo", args=[name])
    assert not alice_subject.photo.url.startswith(settings.MEDIA_URL)


@pytest.mark.django_db
def test_the_admin_form_shows_the_error_for_a_disguised_upload(client, alice):
    type(alice.custodian).objects.filter(pk=alice.custodian.pk).update(language="en")  # English labels are read
    client.force_login(alice)
    response = client.post(
        reverse("wagtailsnippets_registry_subject:add"),
        {
            "custodian": alice.custodian.pk,
            "name": "Mateo Arroyo",
            "is_active": "on",
            "photo_upload": SimpleUploadedFile("mateo.jpg", b"<html>not an image</html>", "image/jpeg"),
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert "Upload a JPEG, PNG or WebP photo." in response.content.decode()
    assert not alice.custodian.subjects.filter(name="Mateo Arroyo").exists()


@pytest.mark.django_db
def test_the_admin_form_stores_a_good_upload_stripped(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("wagtailsnippets_registry_subject:add"),
        {
            "custodian": alice.custodian.pk,
            "name": "Mateo Arroyo",
            "is_active": "on",
            "photo_upload": SimpleUploadedFile("mateo.jpg", _jpeg_with_gps(), "image/jpeg"),
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-MIN_NUM_FORMS": "0",
            "contacts-MAX_NUM_FORMS": "1000",
            "contacts-0-name": "Carmen Arroyo",
            "contacts-0-relation": "Grandmother",
            "contacts-0-phone_number": "+525511112222",
            "contacts-0-preferred_channel": "sms",
            "contacts-0-language": "es",
            "contacts-0-ORDER": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    subject = alice.custodian.subjects.get(name="Mateo Arroyo")
    assert subject.contacts.get().name == "Carmen Arroyo"
    data = client.get(subject.photo.url)
    body = b"".join(data.streaming_content)
    assert data.status_code == 200 and b"Exif" not in body
    assert not Image.open(io.BytesIO(body)).getexif().get_ifd(ExifTags.IFD.GPSInfo)


@pytest.mark.django_db(transaction=True)
def test_deleting_a_subject_removes_its_photo_file(alice_subject):
    subject_photo_set(subject=alice_subject, upload=SimpleUploadedFile("s.png", png_bytes(), "image/png"))
    path = Path(alice_subject.photo.path)
    assert path.exists()
    alice_subject.custodian.user.delete()  # cascades to the subject
    assert not path.exists()


@pytest.mark.django_db
def test_a_photo_is_encrypted_on_disk_and_only_its_custodian_gets_the_picture(client, alice, alice_subject, bob):
    """Children's faces: a copied disk or backup holds ciphertext; the scoped view decrypts for the custodian."""
    picture = png_bytes((64, 48))
    subject_photo_set(subject=alice_subject, upload=SimpleUploadedFile("s.png", picture, "image/png"))
    stored = Path(alice_subject.photo.path).read_bytes()
    assert not stored.startswith(b"\x89PNG") and b"IHDR" not in stored and b"IDAT" not in stored
    client.force_login(alice)
    response = client.get(alice_subject.photo.url)
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(body)).size == (64, 48)
    assert response["Content-Length"] == str(len(body)) and "no-store" in response["Cache-Control"]
    client.force_login(bob)
    assert client.get(alice_subject.photo.url).status_code == 404
