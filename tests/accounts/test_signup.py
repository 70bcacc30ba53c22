"""Sign-up: Mexican phone formats (any country's: tests/accounts/test_phone_international.py), duplicates, weak passwords, and what is created."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail

from core.encryption import phone_hash
from registry.models import Custodian
from tests.factories import CustodianFactory

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("5512345678", "+525512345678"),
        ("55 1234 5678", "+525512345678"),
        ("525512345678", "+525512345678"),
        ("+52 55 1234 5678", "+525512345678"),
        ("5215512345678", "+525512345678"),
        ("+521 55 1234 5678", "+525512345678"),
    ],
)
def test_each_mexican_phone_format_is_stored_in_e164(client, signup_data, raw, e164):
    response = client.post("/accounts/signup/", {**signup_data, "phone": raw})
    assert response.status_code == 302, response.content.decode()[:2000]
    custodian = Custodian.objects.get(user__email="carla@example.com")
    assert str(custodian.phone_number) == e164
    assert custodian.phone_hash == phone_hash(e164)


def test_signup_creates_an_inactive_custodian_and_sends_both_verifications(client, signup_data):
    response = client.post("/accounts/signup/", signup_data)
    assert response["Location"] == "/accounts/signup/phone/"
    user = User.objects.get(email="carla@example.com")
    assert not user.is_active
    assert user.groups.filter(name="Custodians").exists()
    assert user.check_password(PASSWORD)
    assert len(mail.outbox) == 1 and "/accounts/verify-email/" in mail.outbox[0].body
    from messaging.models import Message

    message = Message.objects.get(owner=user)
    assert message.to == "+525512345678" and message.status == "sent"


ERROR_TABLE = [
    (
        {"phone": "12345"},
        "Enter a valid phone number, with its country code (for example +1 or +34) if it is from another country.",
    ),
    (
        {"phone": "445512345678"},
        "Enter a valid phone number, with its country code (for example +1 or +34) if it is from another country.",
    ),
    (
        {"phone": "5225512345678"},
        "Enter a valid phone number, with its country code (for example +1 or +34) if it is from another country.",
    ),
    ({"password": "short-pass"}, "This password is too short. It must contain at least 12 characters."),
    ({"password": "123456789012345"}, "This password is entirely numeric."),
    ({"password": "password1234"}, "This password is too common."),
    ({"password": "carla@example.com"}, "The password is too similar to the email address."),
    ({"email": "not-an-email"}, "Enter a valid email address."),
    ({"first_name": ""}, "This field is required."),
]


@pytest.mark.parametrize(("change", "error"), ERROR_TABLE)
def test_invalid_sign_up_shows_the_exact_error_and_creates_nothing(client, signup_data, change, error):
    response = client.post("/accounts/signup/", {**signup_data, **change})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not User.objects.filter(email="carla@example.com").exists()


def test_long_passphrase_is_accepted(client, signup_data):
    passphrase = "the quiet river carries paper boats past the old mill at dawn " * 2
    response = client.post("/accounts/signup/", {**signup_data, "password": passphrase})
    assert response.status_code == 302


def test_duplicate_email_is_refused_whatever_the_case(client, signup_data, alice):
    alice.email = "carla@example.com"
    alice.save()
    response = client.post("/accounts/signup/", {**signup_data, "email": "Carla@Example.com"})
    assert "An account with this email already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="carla@example.com").count() == 1


@pytest.mark.parametrize("raw", ["5512345678", "525512345678", "5215512345678"])
def test_duplicate_phone_is_refused_through_the_keyed_hash(client, signup_data, raw):
    CustodianFactory(phone_number="+525512345678", phone_hash=phone_hash("+525512345678"))
    response = client.post("/accounts/signup/", {**signup_data, "phone": raw})
    assert "An account with this phone number already exists." in response.content.decode()
    assert not User.objects.filter(email="carla@example.com").exists()


def test_signup_page_intro_is_edited_in_wagtail_settings(client):
    from wagtail.models import Site

    from accounts.models import SignupSettings

    settings = SignupSettings.for_site(Site.objects.get(is_default_site=True))
    settings.intro = "<p>Bienvenida a Keryu, familias.</p>"
    settings.save()
    assert "Bienvenida a Keryu, familias." in client.get("/accounts/signup/").content.decode()


def test_failure_while_creating_rolls_back_the_user(db):
    """One transaction: a custodian that cannot be created leaves no inactive user behind."""
    from django.contrib.auth.models import Group

    from accounts import services

    Group.objects.filter(name="Custodians").delete()
    with pytest.raises(Group.DoesNotExist):
        services.registration_create(
            first_name="A", last_name="B", email="x@example.com", password=PASSWORD, e164="+525512345678"
        )
    assert not User.objects.filter(email="x@example.com").exists()
