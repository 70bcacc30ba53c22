"""Any E.164 number signs up; a number typed without its country code is read in PHONENUMBER_DEFAULT_REGION."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from accounts.phones import phone_to_e164
from registry.models import Custodian, EmergencyContact
from registry.services import custodian_phone_set

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+1 415 555 0134", "+14155550134"),  # United States
        ("+34 612 345 678", "+34612345678"),  # Spain
        ("0034 612 345 678", "+34612345678"),  # Spain, international prefix instead of "+"
        ("+44 7911 123456", "+447911123456"),  # United Kingdom
        ("55 1234 5678", "+525512345678"),  # local input: the default region (MX)
        ("+52 1 55 1234 5678", "+525512345678"),  # Mexico's old mobile prefix
    ],
)
def test_any_countrys_number_signs_up_in_e164(client, signup_data, raw, e164):
    response = client.post("/accounts/signup/", {**signup_data, "phone": raw})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert str(Custodian.objects.get(user__email="carla@example.com").phone_number) == e164


@override_settings(PHONENUMBER_DEFAULT_REGION="ES")
def test_local_input_follows_the_default_region_setting():
    assert phone_to_e164("612 345 678") == "+34612345678"
    assert phone_to_e164("+52 55 1234 5678") == "+525512345678"


@pytest.mark.parametrize("raw", ["12345", "+1 555", "not a phone", "", "34612345678"])
def test_a_number_that_is_not_one_is_refused(raw):
    with pytest.raises(ValidationError):
        phone_to_e164(raw)


def test_a_profile_and_a_contact_take_a_foreign_number(alice, alice_subject):
    custodian_phone_set(custodian=alice.custodian, phone_number="+34 612 345 678")
    assert str(Custodian.objects.get(pk=alice.custodian.pk).phone_number) == "+34612345678"
    contact = EmergencyContact(subject=alice_subject, name="Tía Ana", phone_number="+14155550134")
    contact.full_clean()
    contact.save()
    assert str(EmergencyContact.objects.get(pk=contact.pk).phone_number) == "+14155550134"


def test_the_sign_up_form_no_longer_asks_for_a_mexican_number(client):
    html = client.get("/accounts/signup/").content.decode()
    assert "10 digits" not in html
