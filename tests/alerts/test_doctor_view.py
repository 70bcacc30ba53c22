"""The doctor's acknowledgement link: the medical essentials the custodian allowed, while the alarm is open only.

Marker strings seeded in every medical field: the page must show exactly the allowed ones, and none of them to
anybody else or after the alarm.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from alerts.models import Alarm, RecipientKind
from alerts.services import ack_token, alarm_create, alarm_resolve
from registry.services import subject_photo_set

from ..registry.conftest import png_bytes

pytestmark = pytest.mark.django_db

CONDITIONS, ALLERGIES, MEDICATIONS = "Type 1 diabetes", "Penicillin", "Insulin glargine 10 U"


@pytest.fixture
def injured(alice_code, contacts) -> Alarm:
    subject = alice_code.subject
    subject.medications = MEDICATIONS
    subject.save()
    return alarm_create(qr_code=alice_code, situation_type="INJURED", description="Fell off the swing")


def _link(alarm: Alarm, kind: str) -> str:
    attempt = alarm.attempts.filter(recipient_kind=kind).first()
    assert attempt is not None, kind
    return f"/alerts/ack/{ack_token(attempt)}/"


def _allow(alarm: Alarm, **flags: bool) -> None:
    subject = alarm.subject
    for name, value in flags.items():
        setattr(subject, name, value)
    subject.save()


def _photo(alarm: Alarm) -> None:
    subject_photo_set(subject=alarm.subject, upload=SimpleUploadedFile("s.png", png_bytes(), "image/png"))


def test_the_doctors_link_shows_exactly_the_medical_details_the_custodian_allowed(client, injured):
    _allow(injured, doctor_sees_conditions=True, doctor_sees_medications=True)
    response = client.get(_link(injured, RecipientKind.DOCTOR))
    page = response.content.decode()
    assert response.status_code == 200
    assert CONDITIONS in page and MEDICATIONS in page
    assert ALLERGIES not in page and "Arroyo" not in page  # not allowed; never the surname
    assert "Fell off the swing" in page  # and the alarm itself, as on everyone's acknowledgement page
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert '<meta name="referrer" content="no-referrer">' in page


def test_nothing_allowed_shows_no_medical_detail_and_says_so(client, injured):
    page = client.get(_link(injured, RecipientKind.DOCTOR)).content.decode()
    assert CONDITIONS not in page and ALLERGIES not in page and MEDICATIONS not in page
    assert "has not shared medical details" in page


def test_what_a_finder_is_shown_the_doctor_is_shown_too(client, injured):
    _allow(injured, share_allergies=True)
    page = client.get(_link(injured, RecipientKind.DOCTOR)).content.decode()
    assert ALLERGIES in page and CONDITIONS not in page and MEDICATIONS not in page


def test_the_photo_is_served_behind_the_doctors_link_only_when_allowed(client, injured):
    _photo(injured)
    link = _link(injured, RecipientKind.DOCTOR)
    assert "/photo/" not in client.get(link).content.decode()
    assert client.get(f"{link}photo/").status_code == 404
    _allow(injured, doctor_sees_photo=True)
    assert f'src="{link}photo/"' in client.get(link).content.decode()
    photo = client.get(f"{link}photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert "no-store" in photo["Cache-Control"] and photo["Referrer-Policy"] == "no-referrer"


def test_after_resolution_the_doctors_link_shows_a_closed_page_and_no_medical_data(client, alice, injured):
    _allow(injured, doctor_sees_conditions=True, doctor_sees_medications=True, doctor_sees_photo=True)
    _photo(injured)
    link = _link(injured, RecipientKind.DOCTOR)
    alarm_resolve(alarm=injured, user=alice, notes="Home safe")
    for response in (client.get(link), client.post(link, {"note": "on my way"})):
        page = response.content.decode()
        assert response.status_code == 200 and "This alarm is closed" in page
        assert CONDITIONS not in page and MEDICATIONS not in page and "Sofía" not in page and "swing" not in page
        assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    assert client.get(f"{link}photo/").status_code == 404
    injured.refresh_from_db()
    assert injured.acknowledged_at is None  # a closed alarm's page acknowledges nothing


def test_the_closed_page_is_in_spanish_for_a_spanish_browser(client, alice, injured):
    link = _link(injured, RecipientKind.DOCTOR)
    alarm_resolve(alarm=injured, user=alice)
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "Esta alarma está cerrada" in page


def test_a_contacts_or_the_custodians_link_never_shows_the_medical_details_or_the_photo(client, injured):
    _allow(
        injured,
        doctor_sees_conditions=True,
        doctor_sees_allergies=True,
        doctor_sees_medications=True,
        doctor_sees_photo=True,
    )
    _photo(injured)
    for kind in (RecipientKind.CONTACT, RecipientKind.CUSTODIAN):
        link = _link(injured, kind)
        response = client.get(link)
        page = response.content.decode()
        assert response.status_code == 200 and "Fell off the swing" in page  # today's acknowledgement page
        assert CONDITIONS not in page and ALLERGIES not in page and MEDICATIONS not in page and "/photo/" not in page
        assert client.get(f"{link}photo/").status_code == 404


def test_the_doctor_acknowledges_from_the_view_while_the_alarm_is_open(client, injured):
    _allow(injured, doctor_sees_conditions=True)
    response = client.post(_link(injured, RecipientKind.DOCTOR), {"note": "Calling the family now"})
    injured.refresh_from_db()
    assert injured.acknowledged_at is not None and CONDITIONS in response.content.decode()


def test_a_tampered_token_opens_nothing(client, injured):
    link = _link(injured, RecipientKind.DOCTOR)
    forged = link.replace("/ack/", "/ack/x")
    assert client.get(forged).status_code == 404
    assert client.get(f"{forged}photo/").status_code == 404
